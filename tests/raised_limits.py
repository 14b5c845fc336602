"""The rate limits raised out of the way, for tests and benchmarks that are
not about the limits (those are in tests/endpoint/test_hardening.py and
tests/deploy/): one definition, in the two forms the app takes them."""

LIMITS = ("REPORT_LIMIT_PER_CLIENT", "REPORT_LIMIT_OVERALL", "STATUS_LIMIT_PER_CLIENT", "STATUS_LIMIT_OVERALL",
          "SIGNIN_LIMIT_PER_CLIENT", "SIGNIN_LIMIT_OVERALL")
COUNT, SECONDS = 10 ** 9, 60

# For create_app(test_config).
RAISED_CONFIG = {key: (COUNT, SECONDS) for key in LIMITS}
# For a server process: REPORT_<KEY> variables, as config.from_environment reads them.
RAISED_ENV = {f"REPORT_{key}": f"{COUNT},{SECONDS}" for key in LIMITS}

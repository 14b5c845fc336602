"""The code and dependency checks (security/code_checks.py): bandit over the
code, with every finding explained in security/reviewed-findings.toml, and
the machinery of the pip-audit check, shown to fail on a vulnerability, and
to say "incomplete" on a package it could not audit and on a stale entry.
SECURITY.md explains both.

Hermetic, like the whole suite: the audit of the real dependency set asks
PyPI about every package, so it is `make audit`, not a test here (an upstream
release would otherwise turn the suite red with no change to the code)."""

from __future__ import annotations

import importlib.util
import shutil
import sys
import urllib.error
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("code_checks", ROOT / "security" / "code_checks.py")
checks = importlib.util.module_from_spec(_spec)
sys.modules["code_checks"] = checks  # dataclasses look their module up by name
_spec.loader.exec_module(checks)


# ── bandit ─────────────────────────────────────────────────────────────────

def test_bandit_finds_nothing_that_was_not_reviewed():
    report = checks.bandit_report()
    assert not report.problems, report.text("bandit")


@pytest.fixture()
def scanned_copy(tmp_path):
    """The scanned folders, copied: findings are planted here, never in the repository."""
    for folder in checks.SCANNED:
        shutil.copytree(ROOT / folder, tmp_path / folder, ignore=shutil.ignore_patterns("__pycache__", "static"))
    return tmp_path


def test_bandit_check_fails_on_a_new_finding_even_with_nosec(scanned_copy):
    target = scanned_copy / "report_endpoint" / "reports.py"
    target.write_text(target.read_text(encoding="utf-8")
                      + "\n\ndef planted(text):\n    return eval(text)  # nosec\n", encoding="utf-8")
    report = checks.bandit_report(root=scanned_copy)
    assert len(report.problems) == 1, report.text("bandit")
    assert "unreviewed bandit finding B307" in report.problems[0]
    assert "report_endpoint/reports.py" in report.problems[0]
    assert "return eval(text) # nosec" in report.problems[0]


def test_bandit_check_fails_on_a_stale_entry(scanned_copy):
    hook = scanned_copy / "overrides" / "hooks" / "news_feed.py"
    source = hook.read_text(encoding="utf-8")
    assert "from xml.sax.saxutils import escape" in source
    hook.write_text(source.replace("from xml.sax.saxutils import escape", "from html import escape"), encoding="utf-8")
    report = checks.bandit_report(root=scanned_copy)
    assert len(report.problems) == 1, report.text("bandit")
    assert report.problems[0].startswith("stale reviewed entry")
    assert "B406" in report.problems[0]


def test_a_changed_line_is_a_new_finding_not_a_reviewed_one(scanned_copy):
    """The fingerprint is the flagged code: moving it keeps it reviewed,
    changing it asks for a new review (and leaves the old entry stale)."""
    bench = scanned_copy / "benchmarks" / "endpoint_throughput.py"
    source = bench.read_text(encoding="utf-8")
    old = "result = subprocess.run(command, capture_output=True, text=True, timeout=10)"
    assert old in source
    bench.write_text("\n\n\n" + source, encoding="utf-8")  # every line moves
    assert not checks.bandit_report(root=scanned_copy).problems
    bench.write_text(source.replace(old, old.replace("timeout=10", "timeout=20")), encoding="utf-8")
    problems = checks.bandit_report(root=scanned_copy).problems
    assert len(problems) == 2, problems
    assert any(p.startswith("unreviewed bandit finding B603") and "timeout=20" in p for p in problems)
    assert any(p.startswith("stale reviewed entry") and "timeout=10" in p for p in problems)


def test_reviewed_entries_need_a_written_reason(tmp_path):
    reviewed = tmp_path / "reviewed.toml"
    reviewed.write_text('[[finding]]\ntool = "bandit"\nid = "B101"\nfile = "x.py"\ncode = "assert x"\nreason = "fine"\n')
    entries, problems = checks.load_reviewed(reviewed)
    assert not entries
    assert problems and "reason" in problems[0]


# ── pip-audit: the machinery, on canned vulnerability data ─────────────────
# These run the real pip-audit through the loopback OSV service with data
# written here, so they need no network.  The audit of the real dependency
# set is `make audit` (`security/code_checks.py deps`; see SECURITY.md).

FLASK = checks.Package("flask", "3.1.3", True)
WERKZEUG = checks.Package("werkzeug", "3.1.9", False)
PLANTED = {"id": "PYSEC-0000-1", "aliases": ["CVE-0000-0001", "GHSA-test-test-test"], "details": "Planted for the test.",
           "summary": None, "fixed_in": ["3.1.4"], "link": "https://example.com/advisory", "source": "test",
           "withdrawn": None}


def canned(latest: dict, vulnerabilities: dict, unreachable: set = frozenset()):
    def fetch(name):
        if name in unreachable:
            raise urllib.error.URLError("name resolution failed (test)")
        return {"info": {"version": latest[name]}, "vulnerabilities": vulnerabilities.get(name, [])}
    return fetch


def reviewed_file(tmp_path, *entries: str) -> Path:
    path = tmp_path / "reviewed.toml"
    path.write_text("\n".join(entries))
    return path


def test_pip_audit_check_fails_on_a_vulnerability(tmp_path):
    fetch = canned({"flask": "3.1.3", "werkzeug": "3.1.9"}, {"flask": [PLANTED]})
    report = checks.dependency_report(reviewed_file(tmp_path), [FLASK, WERKZEUG], fetch)
    assert len(report.problems) == 1, report.text("deps")
    problem = report.problems[0]
    assert problem.startswith("vulnerability PYSEC-0000-1") and "flask 3.1.3" in problem
    assert "CVE-0000-0001" in problem and "fixed in: 3.1.4" in problem
    assert any("2 packages audited, 1 known vulnerability" in note for note in report.notes)


def test_pip_audit_check_accepts_a_reviewed_vulnerability_and_flags_stale_entries(tmp_path):
    fetch = canned({"flask": "3.1.3", "werkzeug": "3.1.9"}, {"flask": [PLANTED]})
    accepted = ('[[finding]]\ntool = "pip-audit"\nid = "CVE-0000-0001"\npackage = "Flask"\nversion = "3.1.3"\n'
                'reason = "Planted for the test; the vulnerable function is never called by the endpoint."\n')
    assert not checks.dependency_report(reviewed_file(tmp_path, accepted), [FLASK, WERKZEUG], fetch).problems
    # The same entry once the version moves on: the new version is reviewed again.
    moved = accepted.replace('"3.1.3"', '"3.1.2"')
    report = checks.dependency_report(reviewed_file(tmp_path, moved), [FLASK, WERKZEUG], fetch)
    assert len(report.problems) == 1, report.text("deps")
    assert report.problems[0].startswith("vulnerability PYSEC-0000-1")
    # The entry left behind is upkeep (a version moved), not a vulnerability.
    assert len(report.incomplete) == 1, report.text("deps")
    assert report.incomplete[0].startswith("stale reviewed entry") and "flask 3.1.2" in report.incomplete[0]


def test_pip_audit_check_is_incomplete_when_a_package_could_not_be_audited(tmp_path):
    """No data is never "no known vulnerabilities": not the latest release
    (PyPI's project JSON describes only that one), or PyPI not answering."""
    fetch = canned({"flask": "3.2.0", "werkzeug": "3.1.9"}, {}, unreachable={"werkzeug"})
    report = checks.dependency_report(reviewed_file(tmp_path), [FLASK, WERKZEUG], fetch)
    assert not report.problems, report.text("deps")
    assert len(report.incomplete) == 2, report.text("deps")
    assert report.incomplete[0].startswith("could not audit flask 3.1.3") and "latest release is 3.2.0" in report.incomplete[0]
    assert report.incomplete[1].startswith("could not audit werkzeug 3.1.9") and "could not be fetched" in report.incomplete[1]
    assert report.text("deps").endswith("result: INCOMPLETE")
    # Accepting one of them is a written decision, and it is printed every time.
    accepted = ('[[finding]]\ntool = "pip-audit"\nid = "not-audited"\npackage = "flask"\nversion = "3.1.3"\n'
                'reason = "Test: accepted knowingly until the pin moves to the latest release."\n')
    report = checks.dependency_report(reviewed_file(tmp_path, accepted), [FLASK, WERKZEUG], fetch)
    assert len(report.incomplete) == 1 and report.incomplete[0].startswith("could not audit werkzeug")
    assert any(note.startswith("NOT AUDITED, accepted") and "flask 3.1.3" in note for note in report.notes)


# ── `make audit`: what fails it, in CI too ──────────────────────────────────

def run_main(report, *argv):
    return checks.main(["deps", *argv], {"deps": ("Dependency check (test)", lambda: report)})


def test_audit_exit_status_a_vulnerability_fails_even_in_ci(tmp_path, capsys):
    fetch = canned({"flask": "3.2.0", "werkzeug": "3.1.9"}, {"werkzeug": [PLANTED]})
    report = checks.dependency_report(reviewed_file(tmp_path), [FLASK, WERKZEUG], fetch)
    assert report.problems and report.incomplete
    assert run_main(report) == 1
    assert run_main(report, "--incomplete-ok") == 1
    assert "PROBLEM: vulnerability PYSEC-0000-1" in capsys.readouterr().out


def test_audit_exit_status_an_upstream_release_alone_fails_only_the_strict_audit(tmp_path, capsys):
    """A pin one release behind: `make audit` says so (exit 3); CI's form
    (`--incomplete-ok`) warns and passes."""
    fetch = canned({"flask": "3.2.0", "werkzeug": "3.1.9"}, {})
    report = checks.dependency_report(reviewed_file(tmp_path), [FLASK, WERKZEUG], fetch)
    assert run_main(report) == checks.INCOMPLETE == 3
    assert run_main(report, "--incomplete-ok") == 0
    out = capsys.readouterr().out
    assert "INCOMPLETE: could not audit flask 3.1.3" in out and "WARNING: incomplete" in out
    clean = checks.dependency_report(reviewed_file(tmp_path), [WERKZEUG], fetch)
    assert run_main(clean) == 0


def test_pip_audit_fails_rather_than_pass_when_its_service_has_no_answer():
    """pip-audit through the loopback service with no data for the package:
    an error, never a report of no known vulnerabilities."""
    with checks.OsvBridge([]) as bridge:
        with pytest.raises(RuntimeError, match="pip-audit exited 1 without a report"):
            checks.run_pip_audit([FLASK], bridge.url)
        assert bridge.queries == [("flask", "3.1.3")]


def test_the_dependency_set_is_every_exact_pin_and_what_it_pulls_in():
    packages, problems = checks.dependency_set()
    assert not problems
    names = {p.name: p for p in packages}
    for pinned in ("flask", "gunicorn", "cryptography", "sqlalchemy", "mkdocs-material", "bandit", "pip-audit"):
        assert names[pinned].pinned
    # Pulled in, at the installed version: what the endpoint actually runs on.
    for pulled in ("werkzeug", "jinja2", "markupsafe", "itsdangerous", "psycopg-binary"):
        assert pulled in names and not names[pulled].pinned

"""The code and dependency checks (security/code_checks.py): bandit over the
code, with every finding explained in security/reviewed-findings.toml, and
the machinery of the pip-audit check, shown to fail on a vulnerability, on a
package it could not audit and on a stale entry.  SECURITY.md explains both."""

from __future__ import annotations

import importlib.util
import re
import shutil
import sys
import urllib.error
import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("code_checks", ROOT / "security" / "code_checks.py")
checks = importlib.util.module_from_spec(_spec)
sys.modules["code_checks"] = checks  # dataclasses look their module up by name
_spec.loader.exec_module(checks)


# ── pip-audit on what we install ───────────────────────────────────────────

def test_dependencies_have_no_unreviewed_vulnerabilities():
    """pip-audit over every package the project installs (security/code_checks.py).
    A known vulnerability not explained in the reviewed file fails the run, and
    so does a check that could audit less than nine packages in ten (the data
    source gone: never a silent pass).  A package that is not on its newest
    release cannot be audited here, since only the newest release's records are
    reachable: it is named in a warning on every run (for a pinned package: bump
    the pin), rather than failing every run after each upstream release."""
    report = checks.dependency_report()
    unaudited = [p for p in report.problems if p.startswith("could not audit")]
    other = [p for p in report.problems if p not in unaudited]
    assert not other, report.text("pip-audit")
    counts = next(n for n in report.notes if "with vulnerability data" in n)
    total, audited = (int(x) for x in re.match(r"(\d+) packages .*?, (\d+) with", counts).groups())
    assert audited >= 0.9 * total, report.text("pip-audit")
    for problem in unaudited:
        warnings.warn(problem)


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
# set is `.venv/bin/python security/code_checks.py deps` (see SECURITY.md).

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
    problems = checks.dependency_report(reviewed_file(tmp_path, moved), [FLASK, WERKZEUG], fetch).problems
    assert len(problems) == 2, problems
    assert problems[0].startswith("vulnerability PYSEC-0000-1")
    assert problems[1].startswith("stale reviewed entry") and "flask 3.1.2" in problems[1]


def test_pip_audit_check_fails_when_a_package_could_not_be_audited(tmp_path):
    """No data is never "no known vulnerabilities": not the latest release
    (PyPI's project JSON describes only that one), or PyPI not answering."""
    fetch = canned({"flask": "3.2.0", "werkzeug": "3.1.9"}, {}, unreachable={"werkzeug"})
    report = checks.dependency_report(reviewed_file(tmp_path), [FLASK, WERKZEUG], fetch)
    assert len(report.problems) == 2, report.text("deps")
    assert report.problems[0].startswith("could not audit flask 3.1.3") and "latest release is 3.2.0" in report.problems[0]
    assert report.problems[1].startswith("could not audit werkzeug 3.1.9") and "could not be fetched" in report.problems[1]
    # Accepting one of them is a written decision, and it is printed every time.
    accepted = ('[[finding]]\ntool = "pip-audit"\nid = "not-audited"\npackage = "flask"\nversion = "3.1.3"\n'
                'reason = "Test: accepted knowingly until the pin moves to the latest release."\n')
    report = checks.dependency_report(reviewed_file(tmp_path, accepted), [FLASK, WERKZEUG], fetch)
    assert len(report.problems) == 1 and report.problems[0].startswith("could not audit werkzeug")
    assert any(note.startswith("NOT AUDITED, accepted") and "flask 3.1.3" in note for note in report.notes)


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

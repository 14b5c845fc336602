"""The code and dependency checks, and the reviewed findings they accept.

    .venv/bin/python security/code_checks.py bandit   # the code: bandit over the scanned folders
    .venv/bin/python security/code_checks.py deps     # the dependencies: pip-audit (needs PyPI; `make audit`)

Each prints what it found and exits 1 when there is a problem: a finding not
explained in security/reviewed-findings.toml, or an entry there that is
malformed or (bandit) no longer matches anything.  The dependency check
exits 3 when it is only incomplete: a package it could not audit (not on
PyPI's latest release, or PyPI not answering), or a pip-audit entry gone
stale because a version moved or an advisory was withdrawn.  Incomplete is
never a pass either, but it is what an upstream release or an unreachable
index causes with no change here, so `deps --incomplete-ok` (CI, through
`make audit`) prints it as a warning and exits 0, while a known vulnerability
that nobody reviewed still exits 1.  `make test` runs bandit and the
machinery of the dependency check on canned data (tests/test_code_checks.py),
never the network part; SECURITY.md says how to review a finding.

bandit: the whole report of `bandit -r` over SCANNED, with inline `# nosec`
comments ignored (a finding is accepted in the reviewed file or not at all).
A reviewed entry names the test id, the file and the flagged code (bandit's
line range, whitespace collapsed), never a line number, so it survives edits
elsewhere in the file and goes stale when the flagged code itself changes.

pip-audit: the dependency set is every exact pin of pyproject.toml
(dependencies and the test extra) and, at their installed versions, every
package those pins pull in.  pip-audit needs vulnerability data: by default it
asks PyPI's per-release JSON API (/pypi/NAME/VERSION/json), or OSV's API.  On
the project's machines neither answers; PyPI's project JSON (/pypi/NAME/json)
does, and it carries PyPI's vulnerability records for the project's latest
release only.  So this check serves those records to pip-audit through its
documented `--osv-url` option from a small OSV-style service on loopback, for
a package whose installed version is PyPI's latest release, and for no other:
any other package, and any package whose data could not be fetched, is "not
audited", which is a failure unless the reviewed file accepts that exact
version by name.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import threading
import tomllib
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
REVIEWED = ROOT / "security" / "reviewed-findings.toml"
# What bandit scans.  Not tests/: test code never runs in production and sees
# no untrusted input, and bandit flags its asserts and its subprocesses (the
# nginx, gunicorn and PostgreSQL it starts) by design.  Not security/ either,
# for the same reason.
SCANNED = ("report_endpoint", "deploy", "overrides/hooks", "resources", "benchmarks")
PYPI_PROJECT_JSON = "https://pypi.org/pypi/{name}/json"
NOT_AUDITED = "not-audited"  # the id of a reviewed entry that accepts a package pip-audit could not audit


def normalised_code(text: str) -> str:
    return " ".join(text.split())


# ── The reviewed file ──────────────────────────────────────────────────────

@dataclass
class Entry:
    """One reviewed finding: accepted, with the reason written down."""

    tool: str
    id: str
    reason: str
    file: str | None = None      # bandit
    code: str | None = None      # bandit: the flagged code, whitespace collapsed
    count: int = 1               # bandit: how many identical findings it accepts
    package: str | None = None   # pip-audit
    version: str | None = None   # pip-audit: exact, so a new version is reviewed again
    matched: int = 0

    def describe(self) -> str:
        if self.tool == "bandit":
            return f"bandit {self.id} in {self.file}: {self.code}"
        return f"pip-audit {self.id} for {self.package} {self.version}"


def load_reviewed(path: Path = REVIEWED) -> tuple[list[Entry], list[str]]:
    """The entries of the reviewed file, and what is wrong with any of them."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    entries, problems = [], []
    unknown_tables = set(data) - {"finding"}
    if unknown_tables:
        problems.append(f"{path.name}: unknown tables {sorted(unknown_tables)} (entries are [[finding]])")
    required = {"bandit": ("id", "file", "code", "reason"), "pip-audit": ("id", "package", "version", "reason")}
    allowed = {"bandit": {"tool", "id", "file", "code", "count", "reason", "reviewed"},
               "pip-audit": {"tool", "id", "package", "version", "reason", "reviewed"}}
    for number, raw in enumerate(data.get("finding", []), 1):
        tool = raw.get("tool")
        if tool not in required:
            problems.append(f"{path.name} entry {number}: tool must be 'bandit' or 'pip-audit', not {tool!r}")
            continue
        missing = [key for key in required[tool] if not str(raw.get(key, "")).strip()]
        extra = set(raw) - allowed[tool]
        if missing or extra:
            problems.append(f"{path.name} entry {number} ({tool}): "
                            + (f"missing {missing} " if missing else "") + (f"unknown keys {sorted(extra)}" if extra else ""))
            continue
        if len(raw["reason"].split()) < 8:
            problems.append(f"{path.name} entry {number} ({tool} {raw['id']}): the reason must say why, in words")
            continue
        entry = Entry(tool=tool, id=raw["id"], reason=raw["reason"], file=raw.get("file"),
                      code=normalised_code(raw["code"]) if "code" in raw else None, count=int(raw.get("count", 1)),
                      package=canonicalize_name(raw["package"]) if "package" in raw else None,
                      version=raw.get("version"))
        entries.append(entry)
    return entries, problems


def stale(entries: list[Entry], tool: str) -> list[str]:
    """Entries that match nothing (or not as many findings as they say)."""
    problems = []
    for entry in entries:
        if entry.tool != tool:
            continue
        if entry.matched == 0:
            problems.append(f"stale reviewed entry, matches nothing any more: {entry.describe()}")
        elif entry.tool == "bandit" and entry.matched != entry.count:
            problems.append(f"reviewed entry accepts {entry.count} finding(s) but {entry.matched} match: "
                            f"{entry.describe()} (review the new ones, then set count)")
    return problems


# ── bandit ─────────────────────────────────────────────────────────────────

@dataclass
class Report:
    """What a check found: problems fail it; incomplete means it could not
    tell (exit 3: see the module's docstring); notes are printed."""

    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    incomplete: list[str] = field(default_factory=list)

    def text(self, title: str) -> str:
        lines = [title]
        lines += [f"  note: {note}" for note in self.notes]
        lines += [f"  INCOMPLETE: {item}" for item in self.incomplete]
        lines += [f"  PROBLEM: {problem}" for problem in self.problems]
        result = "FAILED" if self.problems else "INCOMPLETE" if self.incomplete else "passed"
        lines.append("  result: " + result)
        return "\n".join(lines)


def run_bandit(root: Path, targets=SCANNED) -> dict:
    """bandit's JSON report over root/targets; RuntimeError if it did not run."""
    missing = [target for target in targets if not (root / target).is_dir()]
    if missing:
        raise RuntimeError(f"folders to scan are missing: {missing}")
    with tempfile.TemporaryDirectory() as work:
        # An explicit, empty configuration: a .bandit file dropped into a
        # scanned folder cannot switch tests off.
        ini = Path(work, "bandit.ini")
        ini.write_text("[bandit]\n")
        result = subprocess.run(
            [sys.executable, "-m", "bandit", "-r", *targets, "-f", "json", "-q", "--ignore-nosec", "--ini", str(ini)],
            cwd=root, capture_output=True, text=True, timeout=300)
    if result.returncode not in (0, 1):
        raise RuntimeError(f"bandit exited {result.returncode}: {result.stderr[-2000:]}")
    try:
        return json.loads(result.stdout)
    except ValueError:
        raise RuntimeError(f"bandit gave no JSON report: {result.stdout[-500:]} {result.stderr[-2000:]}") from None


def flagged_code(root: Path, result: dict) -> str:
    lines = (root / result["filename"]).read_text(encoding="utf-8").splitlines()
    return normalised_code(" ".join(lines[number - 1] for number in result["line_range"] if number <= len(lines)))


def bandit_report(root: Path = ROOT, reviewed: Path = REVIEWED, targets=SCANNED) -> Report:
    report = Report()
    entries, report.problems = load_reviewed(reviewed)
    try:
        data = run_bandit(root, targets)
    except (RuntimeError, subprocess.TimeoutExpired) as error:
        report.problems.append(f"bandit could not scan: {error}")
        return report
    for error in data.get("errors", []):
        report.problems.append(f"bandit could not scan {error.get('filename')}: {error.get('reason')}")
    scanned_lines = data.get("metrics", {}).get("_totals", {}).get("loc", 0)
    if not scanned_lines:
        report.problems.append("bandit scanned no code at all")
    report.notes.append(f"bandit {'/, '.join(targets)}/: {scanned_lines} lines of code, {len(data['results'])} finding(s)")
    for result in data["results"]:
        code = flagged_code(root, result)
        entry = next((e for e in entries if e.tool == "bandit" and e.id == result["test_id"]
                      and e.file == result["filename"] and e.code == code), None)
        if entry is not None:
            entry.matched += 1
            continue
        report.problems.append(
            f"unreviewed bandit finding {result['test_id']} ({result['issue_severity'].lower()} severity, "
            f"{result['issue_confidence'].lower()} confidence) at {result['filename']}:{result['line_number']}: "
            f"{result['issue_text']}\n      code: {code}")
    report.problems += stale(entries, "bandit")
    return report


# ── The dependency set ─────────────────────────────────────────────────────

@dataclass(frozen=True)
class Package:
    name: str       # canonical
    version: str
    pinned: bool    # an exact pin of pyproject.toml (otherwise pulled in by one)


def dependency_set(pyproject: Path = ROOT / "pyproject.toml") -> tuple[list[Package], list[str]]:
    """pyproject.toml's pins, and what they pull in as installed here."""
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    pins = [Requirement(text) for text in project["dependencies"] + project["optional-dependencies"]["test"]]
    problems, found = [], {}
    pinned = {}
    for requirement in pins:
        specifiers = list(requirement.specifier)
        if len(specifiers) != 1 or specifiers[0].operator != "==" or "*" in specifiers[0].version:
            problems.append(f"pyproject.toml: {requirement} is not pinned to one exact version")
            continue
        pinned[canonicalize_name(requirement.name)] = specifiers[0].version
    done: dict[str, set] = {}
    queue = list(pins)
    while queue:
        requirement = queue.pop()
        name = canonicalize_name(requirement.name)
        extras = set(requirement.extras)
        if name in done and extras <= done[name]:
            continue
        done.setdefault(name, set()).update(extras)
        try:
            distribution = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            problems.append(f"{name} is required but not installed: run .venv/bin/pip install -e '.[test]'")
            continue
        version = distribution.version
        if name in pinned and pinned[name] != version:
            problems.append(f"pyproject.toml pins {name}=={pinned[name]} but {version} is installed: "
                            "run .venv/bin/pip install -e '.[test]'")
        found[name] = Package(name, version, name in pinned)
        for text in distribution.requires or []:
            sub = Requirement(text)
            if sub.marker is None or any(sub.marker.evaluate({"extra": extra}) for extra in (extras or {""})):
                queue.append(sub)
    return sorted(found.values(), key=lambda p: p.name), problems


# ── Vulnerability data: PyPI's records for a project's latest release ──────

def fetch_pypi(name: str) -> dict:
    """PyPI's project JSON; raises on any failure."""
    with urllib.request.urlopen(PYPI_PROJECT_JSON.format(name=name), timeout=30) as response:
        return json.load(response)


@dataclass
class Advisories:
    """For one package: PyPI's vulnerability records for its installed
    version, or why there are none to be had."""

    package: Package
    records: list[dict] | None = None
    unavailable: str | None = None


def advisories_for(package: Package, fetch) -> Advisories:
    try:
        data = fetch(package.name)
        latest = data["info"]["version"]
        records = data["vulnerabilities"]
    except Exception as error:  # any failure to get the data: not audited, never a pass
        return Advisories(package, unavailable=f"PyPI's vulnerability data could not be fetched ({type(error).__name__}: {error})")
    if not isinstance(records, list):
        return Advisories(package, unavailable="PyPI's answer had no list of vulnerabilities")
    if latest != package.version:
        return Advisories(package, unavailable=(
            f"PyPI's latest release is {latest}: vulnerability data for {package.version} comes only from the "
            "per-release API, which is not reachable here"))
    return Advisories(package, records=records)


def osv_record(name: str, version: str, record: dict) -> dict:
    """A PyPI vulnerability record in the OSV form pip-audit reads."""
    events = [{"introduced": "0"}] + [{"fixed": fixed} for fixed in record.get("fixed_in") or []]
    osv = {
        "schema_version": "1.0.0",
        "id": record["id"],
        "aliases": record.get("aliases") or [],
        "details": record.get("details") or "",
        "affected": [{"package": {"name": name, "ecosystem": "PyPI"}, "versions": [version],
                      "ranges": [{"type": "ECOSYSTEM", "events": events}]}],
    }
    if record.get("summary"):
        osv["summary"] = record["summary"]
    if record.get("withdrawn"):
        osv["withdrawn"] = record["withdrawn"]
    return osv


class OsvBridge:
    """An OSV-style /v1/query service on loopback, answering from records
    fetched beforehand; any package/version it has no data for gets a 503, so
    pip-audit fails rather than reporting "no known vulnerabilities"."""

    def __init__(self, advisories: list[Advisories]):
        self.data = {(a.package.name, a.package.version): a.records for a in advisories if a.records is not None}
        self.queries: list[tuple[str, str]] = []
        bridge = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                key = (canonicalize_name(body.get("package", {}).get("name", "")), str(body.get("version", "")))
                bridge.queries.append(key)
                records = bridge.data.get(key)
                if records is None:
                    self.answer(503, {"error": f"no vulnerability data for {key[0]} {key[1]}"})
                else:
                    self.answer(200, {"vulns": [osv_record(key[0], key[1], r) for r in records]})

            def answer(self, status: int, payload: dict):
                body = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1/query"

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def run_pip_audit(packages: list[Package], osv_url: str) -> dict:
    """pip-audit over exactly these name==version lines; RuntimeError if it did not finish."""
    with tempfile.TemporaryDirectory() as work:
        requirements = Path(work, "requirements.txt")
        requirements.write_text("".join(f"{p.name}=={p.version}\n" for p in packages))
        result = subprocess.run(
            [sys.executable, "-m", "pip_audit", "--requirement", str(requirements), "--no-deps", "--disable-pip",
             "--strict", "--vulnerability-service", "osv", "--osv-url", osv_url, "--format", "json",
             "--progress-spinner", "off", "--cache-dir", str(Path(work, "cache")), "--timeout", "60"],
            capture_output=True, text=True, timeout=600,
            env={"PATH": "/usr/bin:/bin", "NO_PROXY": "127.0.0.1,localhost", "HOME": work})
    try:
        return json.loads(result.stdout)
    except ValueError:
        error_lines = [line for line in result.stderr.splitlines() if "Error" in line or "ERROR" in line]
        raise RuntimeError(f"pip-audit exited {result.returncode} without a report: "
                           + (error_lines[-1] if error_lines else result.stderr[-1500:])) from None


def dependency_report(reviewed: Path = REVIEWED, packages: list[Package] | None = None, fetch=fetch_pypi) -> Report:
    report = Report()
    entries, report.problems = load_reviewed(reviewed)
    if packages is None:
        packages, problems = dependency_set()
        report.problems += problems
    with ThreadPoolExecutor(max_workers=8) as pool:
        advisories = list(pool.map(lambda p: advisories_for(p, fetch), packages))
    audited = [a.package for a in advisories if a.records is not None]
    for item in advisories:
        if item.unavailable is None:
            continue
        package = item.package
        entry = next((e for e in entries if e.tool == "pip-audit" and e.id == NOT_AUDITED
                      and e.package == package.name and e.version == package.version), None)
        what = f"{package.name} {package.version} ({'pinned' if package.pinned else 'pulled in'})"
        if entry is None:
            report.incomplete.append(f"could not audit {what}: {item.unavailable}")
        else:
            entry.matched += 1
            report.notes.append(f"NOT AUDITED, accepted in the reviewed file: {what}: {item.unavailable}")
    report.notes.append(f"{len(packages)} packages ({sum(p.pinned for p in packages)} pinned), "
                        f"{len(audited)} with vulnerability data")
    if audited:
        with OsvBridge(advisories) as bridge:
            try:
                data = run_pip_audit(audited, bridge.url)
            except (RuntimeError, subprocess.TimeoutExpired) as error:
                report.incomplete.append(f"pip-audit did not finish: {error}")
                data = None
            asked = set(bridge.queries)
        if data is not None:
            found = sum(len(d.get("vulns", [])) for d in data.get("dependencies", []))
            report.notes.append(f"pip-audit: {len(data.get('dependencies', []))} packages audited, "
                                f"{found} known vulnerabilit{'y' if found == 1 else 'ies'}")
            vulnerabilities, unanswered = pip_audit_findings(data, audited, asked, entries)
            report.problems += vulnerabilities
            report.incomplete += unanswered
    # A pip-audit entry goes stale when a version moves (a package pulled in
    # is installed at its newest release) or an advisory is withdrawn:
    # upstream changes, to tidy up, not a vulnerability.
    report.incomplete += stale(entries, "pip-audit")
    return report


def pip_audit_findings(data: dict, audited: list[Package], asked: set,
                       entries: list[Entry]) -> tuple[list[str], list[str]]:
    """Known vulnerabilities nobody reviewed, and what pip-audit left unanswered."""
    problems, unanswered = [], []
    reported = {}
    for dependency in data.get("dependencies", []):
        name = canonicalize_name(dependency["name"])
        if dependency.get("skip_reason"):
            unanswered.append(f"pip-audit could not audit {name}: {dependency['skip_reason']}")
            continue
        reported[name] = dependency["version"]
        for vuln in dependency.get("vulns", []):
            ids = {vuln["id"], *vuln.get("aliases", [])}
            entry = next((e for e in entries if e.tool == "pip-audit" and e.id in ids
                          and e.package == name and e.version == dependency["version"]), None)
            if entry is not None:
                entry.matched += 1
                continue
            fixes = ", ".join(vuln.get("fix_versions") or []) or "none yet"
            problems.append(f"vulnerability {vuln['id']} ({', '.join(sorted(ids - {vuln['id']})) or 'no aliases'}) "
                            f"in {name} {dependency['version']}; fixed in: {fixes}\n      "
                            f"{(vuln.get('description') or '')[:300]}")
    for package in audited:
        if reported.get(package.name) != package.version:
            unanswered.append(f"pip-audit did not report on {package.name} {package.version}")
        elif (package.name, package.version) not in asked:
            unanswered.append(f"pip-audit never asked for vulnerability data on {package.name} {package.version}")
    return problems, unanswered


CHECKS = {"bandit": ("Code check (bandit)", bandit_report), "deps": ("Dependency check (pip-audit)", dependency_report)}
INCOMPLETE = 3  # the exit status of a check that could not tell (see the docstring)


def main(argv: list[str], checks: dict = CHECKS) -> int:
    incomplete_ok = "--incomplete-ok" in argv
    chosen = [name for name in argv if name != "--incomplete-ok"] or list(checks)
    if any(name not in checks for name in chosen):
        print(__doc__)
        return 2
    failed = unfinished = False
    for name in chosen:
        title, check = checks[name]
        report = check()
        print(report.text(title))
        failed |= bool(report.problems)
        unfinished |= bool(report.incomplete)
    if failed:
        return 1
    if unfinished and incomplete_ok:
        print("WARNING: incomplete (see INCOMPLETE above); accepted with --incomplete-ok: bump the pins "
              "named, or accept them in security/reviewed-findings.toml, soon")
        return 0
    return INCOMPLETE if unfinished else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

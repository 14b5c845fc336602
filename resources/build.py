"""Build the site: first the offline kit (the site built for file://, zipped),
then the site itself, whose Schools page links the kit with its size.

    python -m resources.build [--site-dir site] [--force]

The packs' PDFs, the posters, the share images and the trimmed stylesheet
are made once and kept in .cache/, keyed by what they are made from
(resources/build_inputs.py).  Each of the two builds is skipped when
nothing it is made from has changed (docs/, overrides/, resources/, the
MkDocs configurations, the tools' versions) and what it wrote last time is
still there, file for file: a rebuild with nothing changed takes a second
or two instead of half a minute (benchmarks/resource_build.py)."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from . import build_inputs, offline_kit

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".cache"
KIT = CACHE / "ihc-offline-kit.zip"
STAMPS = CACHE / "stamps"
# Everything a build reads (besides the installed tools, build_inputs.versions).
INPUTS = ("docs", "overrides", "resources", "mkdocs.yml", "mkdocs-offline.yml", "report_endpoint/khmer_digits.py")


def mkdocs(*args: str) -> None:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", *args], cwd=ROOT, env=env)
    if result.returncode != 0:
        raise SystemExit(result.returncode)


def inputs_key(*extra: str | Path) -> str:
    return build_inputs.digest(build_inputs.versions(), *build_inputs.files(*(ROOT / name for name in INPUTS)), *extra)


def listing(*outputs: Path) -> dict[str, list[int]]:
    """Every file of a build's outputs (folders or files; one that does not
    exist lists nothing) with its size and modification time."""
    found = {}
    for number, output in enumerate(outputs):
        paths = [output] if output.is_file() else (p for p in output.rglob("*") if p.is_file())
        for path in paths:
            stat = path.stat()
            name = path.name if path == output else path.relative_to(output).as_posix()
            found[f"{number}:{name}"] = [stat.st_size, stat.st_mtime_ns]
    return found


class Stamp:
    """What one build's output (a folder or a file, and any others it
    writes) was made from, and what they held when it was made:
    .cache/stamps/<hash of the output's path>.json."""

    def __init__(self, output: Path, key: str, *others: Path):
        self.output, self.key, self.outputs = output, key, (output, *others)
        self.path = STAMPS / f"{build_inputs.digest(str(output.resolve()))}.json"

    def current(self) -> bool:
        try:
            recorded = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        return (recorded.get("key") == self.key and self.output.exists()
                and recorded.get("files") == listing(*self.outputs))

    def forget(self) -> None:
        self.path.unlink(missing_ok=True)

    def record(self) -> None:
        STAMPS.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}")
        temporary.write_text(json.dumps({"key": self.key, "output": str(self.output.resolve()),
                                         "files": listing(*self.outputs)}), encoding="utf-8")
        temporary.replace(self.path)

    @staticmethod
    def prune() -> None:
        """Drop the stamps of outputs that are gone (the tests build into
        temporary folders)."""
        for path in STAMPS.glob("*.json"):
            try:
                gone = not Path(json.loads(path.read_text(encoding="utf-8"))["output"]).exists()
            except (OSError, ValueError, KeyError):
                gone = True
            if gone:
                path.unlink(missing_ok=True)


def built(output: Path, key: str, make, force: bool, name: str, *others: Path) -> None:
    """make() the output (and the others it writes) unless its stamp says it is current."""
    stamp = Stamp(output, key, *others)
    if not force and stamp.current():
        print(f"{name}: nothing changed since the last build, kept as it is ({output})")
        return
    stamp.forget()  # a build that fails half way leaves no stamp behind
    make()
    stamp.record()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--site-dir", default=str(ROOT / "site"), help="where the site goes (default: site/)")
    parser.add_argument("--force", action="store_true", help="build both even if nothing changed")
    args = parser.parse_args(argv)
    site = Path(args.site_dir).resolve()
    key = inputs_key()
    Stamp.prune()

    def offline() -> None:
        folder = CACHE / "offline-site"
        shutil.rmtree(folder, ignore_errors=True)
        mkdocs("--config-file", str(ROOT / "mkdocs-offline.yml"), "--site-dir", str(folder))
        offline_kit.finish(folder, KIT)

    built(KIT, f"offline kit {key}", offline, args.force, "The offline kit")
    # The site links the kit with its size, and copies it: the kit's bytes are
    # one of its inputs.  Restricted packs' PDFs go to restricted/ beside it.
    built(site, f"site {key} {build_inputs.digest(KIT)}",
          lambda: mkdocs("--config-file", str(ROOT / "mkdocs.yml"), "--site-dir", str(site)), args.force, "The site",
          site.parent / "restricted")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

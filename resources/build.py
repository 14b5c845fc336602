"""Build the site: first the offline kit (the site built for file://, zipped),
then the site itself, whose Schools page links the kit with its size.

    python -m resources.build [--site-dir site]

The packs' PDFs are rendered once and shared by both builds (.cache/pdfs/)."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

from . import offline_kit

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".cache"
KIT = CACHE / "ihc-offline-kit.zip"


def mkdocs(*args: str) -> None:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", *args], cwd=ROOT, env=env)
    if result.returncode != 0:
        raise SystemExit(result.returncode)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--site-dir", default=str(ROOT / "site"), help="where the site goes (default: site/)")
    args = parser.parse_args(argv)
    offline = CACHE / "offline-site"
    shutil.rmtree(offline, ignore_errors=True)
    mkdocs("--config-file", str(ROOT / "mkdocs-offline.yml"), "--site-dir", str(offline))
    offline_kit.finish(offline, KIT)
    mkdocs("--config-file", str(ROOT / "mkdocs.yml"), "--site-dir", str(Path(args.site_dir).resolve()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Lighthouse mobile scores for the front door, in both languages.

    python benchmarks/lighthouse_scores.py [--site DIR] [--runs 3]

Lighthouse 12.2.3 (pinned in benchmarks/lighthouse/package.json, the last
release for Node 20; installed there on first use with `npm ci`) drives
Debian's Chromium against the built site, served on loopback with gzip as
nginx serves it.  For the home page, a hub, the children's corner and a game,
in English and Khmer: the median performance and accessibility scores of
--runs runs, against the targets (performance >= 95, accessibility 100).
Lighthouse's mobile preset emulates a mid-range phone on a slow 4G link.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from site_build_and_weight import GzipHandler  # noqa: E402
from site_helpers import CHROMIUM, page_url, serve_directory  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent / "lighthouse"
LIGHTHOUSE = HERE / "node_modules" / ".bin" / "lighthouse"
PAGES = ["index.md", "resources/parents.md", "children/index.md", "children/game-6-8.md"]


def lighthouse(url: str) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "report.json"
        subprocess.run(
            [str(LIGHTHOUSE), url, "--quiet", "--output=json", f"--output-path={report}",
             "--only-categories=performance,accessibility", "--form-factor=mobile",
             "--chrome-flags=--headless --no-sandbox --disable-gpu --disable-background-networking"],
            check=True, timeout=300, env={**os.environ, "CHROME_PATH": CHROMIUM})
        categories = json.loads(report.read_text())["categories"]
    return {name: round(category["score"] * 100) for name, category in categories.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--site", type=Path, default=ROOT / "site")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if not LIGHTHOUSE.exists():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=HERE, check=True)
    base, server = serve_directory(args.site, GzipHandler)
    print(f"Lighthouse 12.2.3, mobile, median of {args.runs} runs; targets: performance >= 95, accessibility 100")
    print(f"{'page':32} {'performance':>11} {'accessibility':>13}")
    for lang in ("km", "en"):
        for path in PAGES:
            runs = [lighthouse(base + page_url(path, lang)) for _ in range(args.runs)]
            performance = statistics.median(r["performance"] for r in runs)
            accessibility = statistics.median(r["accessibility"] for r in runs)
            print(f"{lang + ':' + path:32} {performance:>11.0f} {accessibility:>13.0f}"
                  f"   (runs: {', '.join(str(r['performance']) for r in runs)})")
    server.shutdown()


if __name__ == "__main__":
    main()

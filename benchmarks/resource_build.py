"""Build time of the whole site with the training packs' PDFs and the offline
kit, from a clean checkout (no PDF cache) and again with nothing changed, and
the sizes of the PDFs and the kit.

    python benchmarks/resource_build.py [--runs 3]

Each run builds into a fresh folder with `python -m resources.build`, as
`make build` does:

- "clean" empties .cache/ first (a fresh clone has none): every PDF,
  poster, share image and both MkDocs builds (the offline kit, the site);
- "nothing changed" builds again into the same folder, as a second
  `make serve` does (resources/build.py finds both builds current);
- "both sites again" is `--force`: every MkDocs build runs, with the PDFs,
  posters and share images from their caches, as after editing one page.

Targets: clean under 60 s, nothing changed under 10 s."""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def build(site: Path, *options: str) -> float:
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "resources.build", "--site-dir", str(site), *options], cwd=ROOT,
                            capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(result.stderr[-3000:])
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    clean, unchanged, forced = [], [], []
    work = Path(tempfile.mkdtemp(prefix="ihc-build-"))
    try:
        for run in range(args.runs):
            shutil.rmtree(ROOT / ".cache", ignore_errors=True)
            clean.append(build(work / f"site{run}"))
            unchanged.append(build(work / f"site{run}"))
            forced.append(build(work / f"site{run}", "--force"))
        site = work / f"site{args.runs - 1}"
        pdfs = sorted((site / "downloads").rglob("*.pdf"))
        kit = site / "downloads" / "ihc-offline-kit.zip"
        print(f"clean build (no PDF cache): median {statistics.median(clean):.1f} s "
              f"({', '.join(f'{t:.1f}' for t in clean)}); target < 60 s")
        print(f"rebuild, nothing changed:    median {statistics.median(unchanged):.1f} s "
              f"({', '.join(f'{t:.1f}' for t in unchanged)}); target < 10 s")
        print(f"both sites again (--force):  median {statistics.median(forced):.1f} s "
              f"({', '.join(f'{t:.1f}' for t in forced)})")
        print(f"PDFs: {len(pdfs)} files, {sum(p.stat().st_size for p in pdfs) / 1e6:.2f} MB in all "
              f"(largest {max(p.stat().st_size for p in pdfs) / 1e3:.0f} KB)")
        print(f"offline kit: {kit.stat().st_size / 1e6:.2f} MB")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

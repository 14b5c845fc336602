"""The size of every poster PDF (resources/posters/), per poster, language
and sheet, against the target of at most 300 KB each; also the time to
render them all from an empty cache and again from the cache.

    python benchmarks/poster_sizes.py [--cache DIR]

The posters are rendered into a temporary cache (or --cache), as the site
build renders them into .cache/posters/; nothing in .cache/ is touched."""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from resources import posters  # noqa: E402

TARGET = 300_000  # bytes


def render_all(cache: Path) -> tuple[float, list]:
    started = time.perf_counter()
    built = [pdf for poster in posters.load_posters() for pdf in posters.build_all(poster, cache).values()]
    return time.perf_counter() - started, built


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cache", help="render into this folder (default: a new temporary one)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        cache = Path(args.cache) if args.cache else Path(scratch)
        first, built = render_all(cache)
        again, _ = render_all(cache)
        print(f"{'poster':<14} {'lang':<4} {'sheet':<5} {'pages':>5} {'size':>9}  target {TARGET // 1000} KB")
        over = 0
        for pdf in built:
            flag = "" if pdf.bytes <= TARGET else "  OVER"
            over += bool(flag)
            print(f"{pdf.poster:<14} {pdf.lang:<4} {pdf.size:<5} {pdf.pages:>5} {pdf.bytes / 1000:>6.1f} KB{flag}")
        sizes = [pdf.bytes for pdf in built]
        print(f"{len(built)} PDFs; largest {max(sizes) / 1000:.1f} KB, total {sum(sizes) / 1000:.0f} KB; "
              f"{over} over the target")
        print(f"rendered in {first:.1f} s from an empty cache, {again:.2f} s from the cache")
    return 1 if over else 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Share images (overrides/hooks/share_images.py): how many, how big, and how
long drawing them all takes, cold (empty cache) and warm (nothing changed).

    python benchmarks/share_images.py [--site site]

The cards to draw are read from a built site's share tags (og:title,
og:site_name, og:locale, og:image), so build it first (`make build`, or
`python -m resources.build --site-dir DIR`).  Drawing goes to a temporary
cache and folder, as the hook's on_post_build does it (hook.publish).
Target: each image at most 60 KB."""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from html import unescape
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "overrides" / "hooks"))

import share_images as hook  # noqa: E402

META = re.compile(r'<meta (?:property|name)="([^"]+)" content="([^"]*)">')
LANGUAGE = {"en_US": "en", "km_KH": "km"}


def jobs_from(site: Path) -> list[hook.Job]:
    jobs: list[hook.Job] = []
    for page in sorted(site.rglob("*.html")):
        tags = {name: unescape(value) for name, value in META.findall(page.read_text(encoding="utf-8"))}
        if "og:image" not in tags:
            continue
        image = urlsplit(tags["og:image"])
        jobs.append(((tags["og:title"], tags["og:site_name"], LANGUAGE[tags["og:locale"]], image.netloc),
                     image.path.lstrip("/")))
    return jobs


def timed(jobs, out: Path, cache: Path) -> tuple[float, int]:
    started = time.perf_counter()
    drawn = hook.publish(jobs, out, cache=cache)
    return time.perf_counter() - started, drawn


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--site", default=str(ROOT / "site"), help="a built site (default: site/)")
    args = parser.parse_args()
    jobs = jobs_from(Path(args.site))
    if not jobs:
        sys.exit(f"no share tags in {args.site}: build the site first")
    hook.draw_card("x", "x", "km", "example.org")  # load the fonts once, as a build does at its first card
    with tempfile.TemporaryDirectory(prefix="ihc-share-") as work:
        work = Path(work)
        cold, drawn = timed(jobs, work / "cold", work / "cache")
        warm, redrawn = timed(jobs, work / "warm", work / "cache")
        files = sorted((work / "cold").rglob("*.png"), key=lambda path: path.stat().st_size)
        sizes = [path.stat().st_size for path in files]
        km = sum(1 for _, relative in jobs if relative.startswith(f"{hook.SHARE_DIR}/km/"))
        print(f"share images: {len(files)} ({km} Khmer, {len(files) - km} English), {drawn} drawn cold, "
              f"{redrawn} redrawn warm")
        print(f"total {sum(sizes) / 1024:.0f} KB, mean {sum(sizes) / len(sizes) / 1024:.1f} KB, "
              f"max {sizes[-1] / 1024:.1f} KB ({files[-1].relative_to(work / 'cold')}); "
              f"limit {hook.MAX_BYTES // 1024} KB: {'ok' if sizes[-1] <= hook.MAX_BYTES else 'OVER'}")
        print(f"cold (empty cache): {cold:.2f} s ({cold / len(jobs) * 1000:.0f} ms an image)")
        print(f"warm (nothing changed): {warm:.2f} s")


if __name__ == "__main__":
    main()

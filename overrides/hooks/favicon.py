"""The favicon written into each page as a data: address (the CSP allows
data: images): one request fewer on every first visit, which on a phone must
stay within 12 requests (benchmarks/phone_first_visit.py)."""

from __future__ import annotations

import html
import re
from pathlib import Path
from urllib.parse import quote

FAVICON = Path(__file__).resolve().parent.parent / "assets" / "images" / "favicon.svg"
FAVICON_LINK = re.compile(r'<link rel="icon" href="[^"]*favicon\.svg">')
_link: list[str] = []


def on_config(config, **kwargs):
    # Read once per build (again on each rebuild of `mkdocs serve`).
    svg = re.sub(r">\s+<", "><", FAVICON.read_text(encoding="utf-8").strip())
    data = "data:image/svg+xml," + quote(svg, safe=" =:/'")
    _link[:] = [f'<link rel="icon" href="{html.escape(data)}">']
    return config


def on_post_page(output: str, **kwargs) -> str:
    return FAVICON_LINK.sub(lambda match: _link[0], output, count=1)

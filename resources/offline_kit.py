"""The offline kit: the whole bilingual site with its PDFs in one zip, for a
school to copy to a USB stick and open from file://.

A browser refuses file:// pages two things search needs: fetching the index
and starting a worker from a file.  So, after the offline build
(mkdocs-offline.yml), each language's index is also written as a script
(search/search_index.<lang>.js sets __index, which Material's bundle uses
instead of fetching), and the search worker's code (Material's, wrapped by
khmer-search-worker.js) as a string in a script, from which khmer-search.js
starts the worker through a blob: address."""

from __future__ import annotations

import base64
import json
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KIT_FOLDER = "ihc-offline"   # the folder the zip unpacks to


def index_scripts(site: Path) -> None:
    """search_index.<lang>.js per language (overrides/main.html loads the page's
    own), and search_index.js, which Material's bundle loads itself on file://:
    it keeps the language's index, or else sets the merged one."""
    search = site / "search"
    for index in search.glob("search_index.*.json"):
        index.with_suffix(".js").write_text(f"var __index = {index.read_text(encoding='utf-8')};\n",
                                            encoding="utf-8")
    merged = (search / "search_index.json").read_text(encoding="utf-8")
    (search / "search_index.js").write_text(
        f"if (typeof __index === \"undefined\") {{ window.__index = {merged}; }}\n", encoding="utf-8")


def font_styles(site: Path) -> None:
    """The Khmer font inside a stylesheet (data: addresses): file:// pages may
    not load font files, so without this Khmer would fall back to whatever
    font the computer has, if any."""
    fonts = site / "assets" / "fonts"
    rules = []
    for weight in (400, 700):
        data = base64.b64encode((fonts / f"noto-sans-khmer-khmer-{weight}-normal.woff2").read_bytes()).decode()
        rules.append('@font-face { font-family: "IHC Khmer"; font-style: normal; font-weight: %d; '
                     'font-display: swap; src: url("data:font/woff2;base64,%s") format("woff2"); '
                     'unicode-range: U+1780-17FF, U+19E0-19FF, U+200C-200D, U+25CC; }' % (weight, data))
    (site / "assets" / "stylesheets" / "offline-fonts.css").write_text("\n".join(rules) + "\n", encoding="utf-8")


def worker_script(site: Path) -> None:
    scripts = site / "assets" / "javascripts"
    material = next((scripts / "workers").glob("search.*.min.js")).read_text(encoding="utf-8")
    wrapper = (scripts / "khmer-search-worker.js").read_text(encoding="utf-8")
    # The wrapper imports Material's worker with importScripts(), which a blob
    # worker cannot do from file://: the import runs Material's code instead.
    source = f"self.importScripts = function () {{\n{material}\n}};\n{wrapper}"
    (scripts / "offline-search-worker.js").write_text(f"window.__ihcWorkerSource = {json.dumps(source)};\n",
                                                      encoding="utf-8")


def zip_site(site: Path, target: Path) -> None:
    """The site folder as KIT_FOLDER/ in a zip, files in a stable order."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(target.name + ".part")
    with zipfile.ZipFile(temporary, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for path in sorted(p for p in site.rglob("*") if p.is_file()):
            relative = path.relative_to(site).as_posix()
            if relative.endswith(".gz") or relative == "sitemap.xml":
                continue  # a server's files, of no use from a USB stick
            info = zipfile.ZipInfo(f"{KIT_FOLDER}/{relative}", date_time=(2026, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes(), compresslevel=9)
    temporary.replace(target)


def finish(site: Path, target: Path) -> None:
    index_scripts(site)
    worker_script(site)
    font_styles(site)
    zip_site(site, target)

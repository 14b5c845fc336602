"""Minify this site's own scripts and stylesheet in the built site.

Their sources in overrides/assets/ keep the comments that explain them; what
a visitor downloads need not (about 4 KB less, gzipped, on every first visit:
benchmarks/site_build_and_weight.py).  Material's own files come minified.
rjsmin and rcssmin are the maintained minifiers behind mkdocs-minify-plugin;
that plugin is not used because it would also minify the pages' HTML, whose
comments mark the slots the report endpoint fills (hooks/slots.py)."""

from __future__ import annotations

from pathlib import Path

import rcssmin
import rjsmin

SOURCES = Path(__file__).resolve().parent.parent / "assets"


def on_post_build(config, **kwargs):
    site = Path(config.site_dir) / "assets"
    for kind, minify in (("javascripts", rjsmin.jsmin), ("stylesheets", rcssmin.cssmin)):
        for source in sorted((SOURCES / kind).glob("*.[jc]s*")):
            built = site / kind / source.name
            if built.suffix in (".js", ".css") and built.is_file():
                built.write_text(minify(built.read_text(encoding="utf-8")), encoding="utf-8")

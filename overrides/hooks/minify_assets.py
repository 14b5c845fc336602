"""Minify this site's own scripts and stylesheet in the built site.

Their sources in overrides/assets/ keep the comments that explain them; what
a visitor downloads need not (about 4 KB less, gzipped, on every first visit:
benchmarks/site_build_and_weight.py).  Material's own files come minified.
rjsmin and rcssmin are the maintained minifiers behind mkdocs-minify-plugin;
that plugin is not used because it would also minify the pages' HTML, whose
comments mark the slots the report endpoint fills (hooks/slots.py).

Material's stylesheet (23 KB gzipped, the largest file of a first visit) is
trimmed too: the rules of features this site never turns on (code blocks,
content tabs, tooltips, tags, the blog...) and custom properties nothing
uses any more.  A phone's first visit to a Khmer page must stay within
100 KB (benchmarks/phone_first_visit.py).  The build fails if a page uses a
class whose rules were removed.  PurgeCSS would find unused rules by itself,
but it needs Node at build time and cannot see the classes Material's script
adds; a named list of features is predictable."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import rcssmin
import rjsmin
import tinycss2
from mkdocs.exceptions import PluginError

ROOT = Path(__file__).resolve().parent.parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from resources import build_inputs  # noqa: E402

SOURCES = ROOT / "overrides" / "assets"
CACHE = ROOT / ".cache" / "css"
# Features of Material this site does not use (their classes, by prefix).
UNUSED_FEATURES = (
    "tabbed", "highlight", "linenos", "linenodiv", "md-source", "md-annotation", "md-version", "md-tooltip",
    "md-feedback", "md-consent", "md-tag", "md-author", "md-path", "md-code__", "filename", "md-clipboard",
    "md-nav--integrated", "mermaid", "arithmatex", "critic", "keys", "md-post", "md-meta", "md-status",
    "md-banner", "md-social", "md-draft", "emojione", "twemoji", "gemoji", "md-progress", "md-profile",
)
UNUSED = re.compile(r"\.(?:" + "|".join(re.escape(name) for name in UNUSED_FEATURES) + r")[\w-]*")
CLASS_ATTRIBUTE = re.compile(r'class="([^"]*)"')
VARIABLE_USE = re.compile(r"var\((--[\w-]+)")


def _rewrite(rules, rule_text) -> list[str]:
    """The stylesheet's rules as text, each style rule through rule_text
    (None drops it), inside @media and @supports too."""
    kept = []
    for rule in rules:
        if rule.type == "qualified-rule":
            text = rule_text(rule)
            if text:
                kept.append(text)
        elif rule.type == "at-rule" and rule.content is not None and rule.at_keyword in ("media", "supports"):
            inner = _rewrite(tinycss2.parse_rule_list(rule.content, skip_whitespace=True, skip_comments=True), rule_text)
            if inner:
                kept.append(f"@{rule.at_keyword}{tinycss2.serialize(rule.prelude)}{{{''.join(inner)}}}")
        else:
            kept.append(tinycss2.serialize([rule]))
    return kept


def _without_unused_selectors(rule) -> str | None:
    selectors = [s.strip() for s in tinycss2.serialize(rule.prelude).split(",") if not UNUSED.search(s)]
    return ",".join(selectors) + "{" + tinycss2.serialize(rule.content) + "}" if selectors else None


def _without_variables_except(used: set[str]):
    def rule_text(rule) -> str | None:
        declarations = [d for d in tinycss2.parse_blocks_contents(rule.content, skip_whitespace=True, skip_comments=True)
                        if d.type == "declaration" and not (d.name.startswith("--") and d.name not in used)]
        body = ";".join(f"{d.name}:{tinycss2.serialize(d.value).strip()}{'!important' if d.important else ''}"
                        for d in declarations)
        return f"{tinycss2.serialize(rule.prelude).strip()}{{{body}}}" if declarations else None
    return rule_text


def _parse(css: str):
    return tinycss2.parse_stylesheet(css, skip_whitespace=True, skip_comments=True)


def trim_material_css(css: str, other_sources: str) -> str:
    """Material's stylesheet without the unused features' rules and variables."""
    css = "".join(_rewrite(_parse(css), _without_unused_selectors))
    for _ in range(4):  # a variable may be used only by another unused one
        used = set(VARIABLE_USE.findall(css + other_sources))
        trimmed = "".join(_rewrite(_parse(css), _without_variables_except(used)))
        if trimmed == css:
            break
        css = trimmed
    return css


def trimmed_once(css: str, other_sources: str) -> str:
    """trim_material_css, kept in .cache/css/ by a hash of what it is made
    from: trimming takes about 1.5 s, and every build of the site (and of
    the offline kit) would do it again for the same stylesheet."""
    key = build_inputs.digest(css, other_sources, Path(__file__), build_inputs.versions())
    cached = CACHE / f"material-{key}.css"
    if cached.is_file():
        return cached.read_text(encoding="utf-8")
    trimmed = trim_material_css(css, other_sources)
    CACHE.mkdir(parents=True, exist_ok=True)
    for old in CACHE.glob("material-*.css"):
        old.unlink()
    temporary = cached.with_name(f".{cached.name}.tmp")
    temporary.write_text(trimmed, encoding="utf-8")
    temporary.replace(cached)
    return trimmed


def check_no_page_uses_trimmed_classes(site: Path) -> None:
    for page in site.rglob("*.html"):
        for classes in CLASS_ATTRIBUTE.findall(page.read_text(encoding="utf-8")):
            for name in classes.split():
                if UNUSED.fullmatch("." + name):
                    raise PluginError(f"{page}: class '{name}' is used, but hooks/minify_assets.py trims its rules "
                                      "from Material's stylesheet: take it out of UNUSED_FEATURES")


def on_post_build(config, **kwargs):
    site = Path(config.site_dir) / "assets"
    for kind, minify in (("javascripts", rjsmin.jsmin), ("stylesheets", rcssmin.cssmin)):
        for source in sorted((SOURCES / kind).glob("*.[jc]s*")):
            built = site / kind / source.name
            if built.suffix in (".js", ".css") and built.is_file():
                built.write_text(minify(built.read_text(encoding="utf-8")), encoding="utf-8")
    ours = "".join(path.read_text(encoding="utf-8") for path in SOURCES.glob("*/*.[jc]s*"))
    for material in sorted((site / "stylesheets").glob("main.*.min.css")):
        material.write_text(trimmed_once(material.read_text(encoding="utf-8"), ours), encoding="utf-8")
    check_no_page_uses_trimmed_classes(Path(config.site_dir))

"""Each training pack as a PDF in each of its languages, built with WeasyPrint
from its Markdown (resources/pdf/print.css).  A PDF is rebuilt only when what
it is made from changes: the cache (.cache/pdfs/) is keyed by a hash of the
pack's sources, its labels and the toolchain (resources/build_inputs.py).

Khmer is written without spaces, so the text of every pack gets U+200B
between its Khmer words (ICU's segmentation, resources/khmer_breaks.py):
WeasyPrint can then wrap Khmer in a narrow table cell.

A pack may declare a layout in its front matter (CONTENT.md):

- `layout: cards`: each H3 under an H2 whose id starts with `cards-` is a
  card; the cards print 8 to an A4 sheet (2 x 4, dashed cut lines), after
  the pack's other sections;
- `layout: one-page`: the pack prints on one A4 page (small margins, two
  columns, boxes to tick and lines to write on); an H2 with the class
  `.below-columns` and what follows it go across the page, under the columns.
"""

from __future__ import annotations

import html
import json
import os
import re
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

import markdown

from report_endpoint.khmer_digits import khmer_digits

from . import build_inputs
from .khmer_breaks import break_html
from .packs import Pack, split_front_matter

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".cache" / "pdfs"
PRINT = Path(__file__).with_name("pdf")
FONTS = ROOT / "overrides" / "assets" / "fonts"
LAYOUTS = ("cards", "one-page")
CARDS_PER_SHEET = 8
EXTENSIONS = ["attr_list", "tables", "admonition", "def_list", "md_in_html", "pymdownx.tasklist"]
KHMER_MONTHS = ("មករា", "កុម្ភៈ", "មីនា", "មេសា", "ឧសភា", "មិថុនា", "កក្កដា", "សីហា", "កញ្ញា", "តុលា", "វិច្ឆិកា", "ធ្នូ")
WORDS = {
    "en": {"publisher": "Internet Hotline Cambodia (IHC), run by APLE Cambodia", "for": "For",
           "ages": "Ages", "reviewed": "Last reviewed", "language": "Language", "name": "English", "colon": ":"},
    "km": {"publisher": "អ៊ីនធឺណិតហតឡាញខេមបូឌា (IHC) ដំណើរការដោយអង្គការ APLE កម្ពុជា", "for": "សម្រាប់",
           "ages": "អាយុ", "reviewed": "ពិនិត្យចុងក្រោយ", "language": "ភាសា", "name": "ខ្មែរ", "colon": "៖"},
}


def local_date(day, lang: str) -> str:
    if lang == "km":
        return khmer_digits(f"{day.day} {KHMER_MONTHS[day.month - 1]} {day.year}")
    return f"{day.day} {day.strftime('%B')} {day.year}"


@dataclass
class Pdf:
    pack: str
    lang: str
    path: Path        # the built file, in the cache
    pages: int
    size: int         # bytes
    filename: str     # its name on the site: downloads/<pack>/<pack>-<lang>.pdf


def layout_of(pack: Pack) -> str | None:
    """The layout the pack's front matter declares (`layout:`), if any."""
    source = pack.source.get("en") or next(iter(pack.source.values()), None)
    if source is None or not Path(source).is_file():
        return None
    layout = split_front_matter(Path(source).read_text(encoding="utf-8"))[0].get("layout")
    if layout is not None and layout not in LAYOUTS:
        raise ValueError(f"{pack.id}: unknown layout {layout!r}; known: {LAYOUTS}")
    return layout


SECTION = re.compile(r'(?=<h2[\s>])')
CARD = re.compile(r'(?=<h3[\s>])')
CARDS_ID = re.compile(r'<h2[^>]*\bid="cards-([^"]+)"')
HEADING_TEXT = re.compile(r"<h2[^>]*>(.*?)</h2>", re.S)
FILL = re.compile(r"_{4,}")
BELOW_COLUMNS = re.compile(r'<h2[^>]*\bclass="[^"]*\bbelow-columns\b')


def cards(body: str, labels: dict[str, dict[str, str]]) -> tuple[str, list[str]]:
    """The body without its card sections, and each card as HTML (a band
    label, then its H3 and what follows it)."""
    rest, found = [], []
    for section in SECTION.split(body):
        match = CARDS_ID.match(section)
        if not match:
            rest.append(section)
            continue
        band = labels.get("age_bands", {}).get(match.group(1)) or re.sub(r"<[^>]+>", "", HEADING_TEXT.match(section).group(1))
        for card in CARD.split(section)[1:]:
            found.append(f'<div class="ihc-card"><p class="ihc-card__band">{html.escape(band)}</p>{card}</div>')
    return "".join(rest), found


def card_sheets(found: list[str]) -> str:
    sheets = [found[start:start + CARDS_PER_SHEET] for start in range(0, len(found), CARDS_PER_SHEET)]
    return "".join(f'<section class="ihc-sheet">{"".join(sheet)}</section>' for sheet in sheets)


def pack_html(pack: Pack, lang: str, labels: dict[str, dict[str, str]]) -> str:
    """The pack as one HTML document: a cover block, then its Markdown."""
    words, colon = WORDS[lang], WORDS[lang]["colon"]
    layout = layout_of(pack)
    body = markdown.markdown(pack.body[lang], extensions=EXTENSIONS, output_format="html")
    if layout:
        # Lines to write on, drawn as lines rather than typed underscores.
        body = FILL.sub('<span class="ihc-fill"></span>', body)
    if layout == "cards":
        body, found = cards(body, labels)
        body += card_sheets(found)
    ages = ", ".join(labels["age_bands"][band] for band in pack.age_bands)
    audience = ", ".join(labels["audience"][a] for a in pack.audience)
    meta = (f'<div class="ihc-pack-meta"><p class="ihc-pack-publisher">{html.escape(words["publisher"])}</p><dl>'
            f'<dt>{words["for"]}{colon}</dt><dd>{html.escape(audience)}</dd>'
            f'<dt>{words["ages"]}{colon}</dt><dd>{html.escape(ages)}</dd>'
            f'<dt>{words["language"]}{colon}</dt><dd>{words["name"]}</dd>'
            f'<dt>{words["reviewed"]}{colon}</dt><dd>{local_date(pack.reviewed, lang)}</dd></dl></div>')
    # The cover block goes right after the H1 title.
    head, found, rest = body.partition("</h1>")
    if layout == "one-page":
        # Two columns, then the sections marked {.below-columns} across the page.
        below = BELOW_COLUMNS.search(rest)
        split = below.start() if below else len(rest)
        rest = f'<div class="ihc-columns">{rest[:split]}</div>{rest[split:]}'
    body = head + found + meta + rest if found else meta + body
    body = break_html(body)  # break opportunities between Khmer words
    layout_class = f' class="ihc-layout-{layout}"' if layout else ""
    return (f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
            f'<title>{html.escape(pack.title[lang])}</title></head><body{layout_class}>{body}</body></html>')


def fingerprint(pack: Pack, lang: str, labels: dict[str, dict[str, str]]) -> str:
    """The cache key of the pack's PDF in lang: the pack as loaded (its text
    and metadata in both languages, and its layout), the labels it prints
    and the toolchain (resources/build_inputs.py).  Made from the inputs, so
    that a cached PDF is found without rendering its HTML."""
    content = {name: value for name, value in asdict(pack).items() if name != "source"}
    return build_inputs.digest(build_inputs.toolchain(), lang, str(layout_of(pack)),
                               json.dumps(content, sort_keys=True, ensure_ascii=False, default=str),
                               json.dumps(labels, sort_keys=True, ensure_ascii=False))


@lru_cache(maxsize=1)
def font_configuration():
    """One WeasyPrint font configuration for every PDF a process renders
    (packs and posters): it decompresses each WOFF2 font of the @font-face
    rules once, where a new configuration per PDF did it every time (about
    half a second a PDF)."""
    from weasyprint.text.fonts import FontConfiguration
    return FontConfiguration()


def render(document: str, target: Path) -> int:
    """Write the PDF; its number of pages."""
    import weasyprint

    fonts = font_configuration()
    css = (PRINT / "print.css").read_text(encoding="utf-8")
    if 'lang="km"' in document[:200]:  # page numbers in Khmer digits on Khmer packs
        css += '@page { @bottom-right { content: counter(page, khmer) " / " counter(pages, khmer); } }'
    # The stylesheet names the font files relative to the fonts folder.
    style = weasyprint.CSS(string=css, base_url=f"{FONTS.as_uri()}/", font_config=fonts)
    rendered = weasyprint.HTML(string=document, base_url=str(ROOT)).render(stylesheets=[style], font_config=fonts)
    temporary = target.with_name(f".{target.name}.{os.getpid()}")
    rendered.write_pdf(temporary, pdf_variant=None)
    temporary.replace(target)
    return len(rendered.pages)


def is_cached(pack: Pack, lang: str, labels: dict[str, dict[str, str]], cache: Path = CACHE) -> bool:
    target = cache / f"{pack.id}-{lang}-{fingerprint(pack, lang, labels)}.pdf"
    return target.is_file() and target.with_suffix(".json").is_file()


def build(pack: Pack, lang: str, labels: dict[str, dict[str, str]], cache: Path = CACHE) -> Pdf:
    """The pack's PDF in lang, from the cache when nothing it depends on changed."""
    key = fingerprint(pack, lang, labels)
    target = cache / f"{pack.id}-{lang}-{key}.pdf"
    sidecar = target.with_suffix(".json")
    if target.is_file() and sidecar.is_file():
        pages = json.loads(sidecar.read_text())["pages"]
    else:
        cache.mkdir(parents=True, exist_ok=True)
        for old in cache.glob(f"{pack.id}-{lang}-*"):
            old.unlink()  # the earlier builds of this pack and language
        pages = render(pack_html(pack, lang, labels), target)
        sidecar.write_text(json.dumps({"pages": pages}))
    return Pdf(pack=pack.id, lang=lang, path=target, pages=pages, size=target.stat().st_size,
               filename=f"downloads/{pack.id}/{pack.id}-{lang}.pdf")

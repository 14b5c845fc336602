"""Posters to pin up: one YAML file per poster in this folder (its metadata,
as for the packs, and its words in English and Khmer), each rendered with
WeasyPrint (resources/pdf/poster.css) to one page in A4 and in A3, per
language: 4 PDFs a poster, under downloads/posters/<id>/ on the site.

Each poster carries one of this site's illustrations and a QR code (segno,
made at build time, no network) to its own page on the site in its language
(docs/<lang>/resources/posters/<id>.md, under site_url from mkdocs.yml).
Khmer is broken between words with ICU's dictionary (zero-width spaces), as
the search index is, so that WeasyPrint can wrap it.

Like the packs' PDFs (resources/pdfs.py), a PDF is rebuilt only when what it
is made from changes: .cache/posters/ is keyed by a hash of the poster's
YAML, its illustration, its page's address and the toolchain
(resources/build_inputs.py).  A small PNG preview of the A4 page (for the site) is
kept beside it."""

from __future__ import annotations

import base64
import datetime as dt
import html
import json
import math
import os
import re
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from ..packs import AGE_BANDS, AUDIENCES, LANGUAGES, TOPICS, PackError, check_values
from .. import build_inputs, pdfs
from ..khmer_breaks import ZWSP, break_text

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
CACHE = ROOT / ".cache" / "posters"
STYLE = ROOT / "resources" / "pdf" / "poster.css"
ILLUSTRATIONS = ROOT / "overrides" / "assets" / "illustrations"
SIZES = ("a4", "a3")
# A3 is A4 scaled by the square root of 2: every length in poster.css is in
# rem, and the root size grows with the sheet.
ROOT_SIZE = {"a4": 20.0, "a3": 28.3}
PREVIEW_WIDTH = 420  # pixels: the preview shown on the site
# Each poster's ink (white text on it is dark-on-light in grey too) and tint.
COLOURS = {"teal": ("#0b5563", "#e3f3f6"), "green": ("#2d6a35", "#e6f3e7"), "purple": ("#5b3a7e", "#efe8f6"),
           "blue": ("#1d4f91", "#e5eef9"), "red": ("#a3241c", "#fbe9e6")}
WORDS = {
    "en": {"credit": "Internet Hotline Cambodia (IHC), run by APLE Cambodia", "scan": "Scan to read this poster online",
           "size": {"a4": "A4", "a3": "A3"}, "page": "page", "preview": "The poster", "help": "Where to get help"},
    "km": {"credit": "អ៊ីនធឺណិតហតឡាញខេមបូឌា (IHC) ដំណើរការដោយអង្គការ APLE កម្ពុជា",
           "scan": "ស្កេនដើម្បីអានផ្ទាំងរូបភាពនេះនៅលើគេហទំព័រ", "size": {"a4": "ក្រដាស <code>A4</code>", "a3": "ក្រដាស <code>A3</code>"}, "page": "ទំព័រ",
           "preview": "ផ្ទាំងរូបភាព", "help": "កន្លែងស្វែងរកជំនួយ"},
}


@dataclass
class Poster:
    id: str
    picture: str
    colour: str
    reviewed: dt.date
    audience: list[str]
    age_bands: list[str]
    topics: list[str]
    text: dict[str, dict] = field(default_factory=dict)   # per language: title, summary, label, headline, lines, help

    @property
    def page(self) -> str:
        """Its page, under docs/<lang>/."""
        return f"resources/posters/{self.id}.md"


@dataclass
class PosterPdf:
    poster: str
    lang: str
    size: str         # "a4" or "a3"
    path: Path        # the built file, in the cache
    pages: int
    bytes: int
    filename: str     # its name on the site
    preview: Path | None = None            # A4 only: a PNG of the page, for the site
    preview_filename: str | None = None


def load_poster(path: Path) -> Poster:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    name = path.stem
    if data.get("id") != name:
        raise PackError(f"posters/{path.name}: id must be the file's name")
    if not isinstance(data.get("reviewed"), dt.date):
        raise PackError(f"posters/{path.name}: reviewed must be a date")
    if data.get("colour") not in COLOURS:
        raise PackError(f"posters/{path.name}: colour must be one of {sorted(COLOURS)}")
    if not (ILLUSTRATIONS / f"{data.get('picture')}.svg").is_file():
        raise PackError(f"posters/{path.name}: no illustration {data.get('picture')!r}")
    text = {}
    for lang in LANGUAGES:
        words = data.get(lang) or {}
        for key in ("title", "summary", "label", "headline"):
            if not isinstance(words.get(key), str) or not words[key].strip():
                raise PackError(f"posters/{path.name}: {lang}.{key} is missing")
        if not 2 <= len(words.get("lines") or []) <= 4:
            raise PackError(f"posters/{path.name}: {lang}.lines needs 2 to 4 short lines")
        if not words.get("help"):
            raise PackError(f"posters/{path.name}: {lang}.help needs a place to get help")
        text[lang] = words
    if len(text["en"]["lines"]) != len(text["km"]["lines"]) or len(text["en"]["help"]) != len(text["km"]["help"]):
        raise PackError(f"posters/{path.name}: the languages need the same lines and help")
    return Poster(id=name, picture=data["picture"], colour=data["colour"], reviewed=data["reviewed"], text=text,
                  audience=check_values(name, "audience", data.get("audience"), AUDIENCES),
                  age_bands=check_values(name, "age_bands", data.get("age_bands"), AGE_BANDS),
                  topics=check_values(name, "topics", data.get("topics"), TOPICS))


def load_posters() -> list[Poster]:
    """Every poster, age bands first (youngest first), then the others by name."""
    found = [load_poster(path) for path in HERE.glob("*.yml")]
    order = {band: i for i, band in enumerate(AGE_BANDS)}
    return sorted(found, key=lambda p: (not p.id.startswith("ages-"), order.get(p.age_bands[0], 99), p.id))


# ── The site address ───────────────────────────────────────────────────────

@lru_cache(maxsize=1)
def site_url() -> str:
    """site_url from mkdocs.yml (the public site: the offline kit's posters
    point there too)."""
    found = re.search(r"^site_url:\s*(\S+)\s*$", (ROOT / "mkdocs.yml").read_text(encoding="utf-8"), re.M)
    if not found:
        raise PackError("mkdocs.yml has no site_url: the posters' QR codes need it")
    return found.group(1).rstrip("/") + "/"


def page_address(poster: Poster, lang: str) -> str:
    """The poster's own page on the site, in its language (Khmer under /km/)."""
    prefix = "" if lang == "en" else f"{lang}/"
    return f"{site_url()}{prefix}resources/posters/{poster.id}/"


# ── Khmer line breaks ──────────────────────────────────────────────────────

def khmer_breaks(text: str) -> str:
    """Khmer split into words with zero-width spaces between them
    (resources/khmer_breaks.py, ICU's segmentation, as for the packs and the
    search index), so the PDF engine may wrap a line between two words.  On a
    poster's big type two more rules: never a line that starts with a full
    stop or a question mark, nor one that ends with "do not" (កុំ) torn from
    its verb."""
    broken = break_text(text)
    broken = re.sub("(?<=កុំ)" + ZWSP, "", broken)
    return re.sub(ZWSP + r"(?=[\u17d4\u17d5?!»)])", "", broken)


# ── The document ───────────────────────────────────────────────────────────

def _data_uri(mime: str, data: bytes) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def qr_svg(address: str) -> bytes:
    import segno
    code = segno.make(address, error="m", micro=False)
    from io import BytesIO
    out = BytesIO()
    code.save(out, kind="svg", scale=4, border=2, dark="#000000", light="#ffffff", xmldecl=False, svgns=True)
    return out.getvalue()


def poster_html(poster: Poster, lang: str, size: str) -> str:
    words = poster.text[lang]
    shared = WORDS[lang]

    def text(value: str) -> str:
        value = html.escape(value, quote=False)
        return khmer_breaks(value) if lang == "km" else value

    art = _data_uri("image/svg+xml", (ILLUSTRATIONS / f"{poster.picture}.svg").read_bytes())
    address = page_address(poster, lang)
    code = _data_uri("image/svg+xml", qr_svg(address))
    lines = "".join(f'<li><span class="mark" aria-hidden="true">{i}</span><span class="line">{text(line)}</span></li>'
                    for i, line in enumerate(words["lines"], start=1))
    if lang == "km":
        lines = re.sub(r'(<span class="mark" aria-hidden="true">)(\d)', lambda m: m.group(1) + "០១២៣៤៥៦៧៨៩"[int(m.group(2))],
                       lines)
    helps = "".join(
        f'<div class="help-item"><p class="help-name">{text(item["name"])}</p>'
        f'<p class="help-number">{html.escape(str(item["number"]))}</p>'
        + (f'<p class="help-note">{text(item["note"])}</p>' if item.get("note") else "") + "</div>"
        for item in words["help"])
    many = " help--many" if len(words["help"]) > 2 else (" help--two" if len(words["help"]) == 2 else "")
    ink, tint = COLOURS[poster.colour]
    css = (f':root {{ --ink: {ink}; --tint: {tint}; }} @page {{ size: {size.upper()} portrait; }} '
           f'html {{ font-size: {ROOT_SIZE[size]}pt; }}')
    return (f'<!doctype html><html lang="{lang}" class="poster-{size}"><head><meta charset="utf-8">'
            f'<title>{html.escape(words["title"])}</title><style>{css}</style></head><body>'
            f'<header class="band"><p class="label">{text(words["label"])}</p>'
            f'<h1 class="headline">{text(words["headline"])}</h1></header>'
            f'<main class="middle"><img class="art" src="{art}" alt="">'
            f'<ol class="lines">{lines}</ol></main>'
            f'<section class="help{many}">{helps}</section>'
            f'<footer class="foot"><img class="qr" src="{code}" alt="">'
            f'<div class="foot-text"><p class="scan">{text(shared["scan"])}</p>'
            f'<p class="url">{html.escape(address)}</p>'
            f'<p class="credit">{text(shared["credit"])}</p></div></footer>'
            f'</body></html>')


def fingerprint(poster: Poster, lang: str, size: str) -> str:
    """The cache key of one PDF: the poster as loaded from its YAML, its
    illustration, the address its QR code holds, the preview's width and
    the toolchain (resources/build_inputs.py).  Made from the inputs, so
    that a cached poster is found without drawing its HTML and QR code first."""
    content = json.dumps(asdict(poster), sort_keys=True, ensure_ascii=False, default=str)
    return build_inputs.digest(build_inputs.toolchain(), lang, size, page_address(poster, lang), str(PREVIEW_WIDTH),
                               content, ILLUSTRATIONS / f"{poster.picture}.svg")


def cached_target(poster: Poster, lang: str, size: str, cache: Path) -> Path:
    return cache / f"{poster.id}-{lang}-{size}-{fingerprint(poster, lang, size)}.pdf"


def render(document: str, target: Path) -> int:
    """Write the PDF (fonts as resources/pdfs.py loads them); its number of pages."""
    import weasyprint

    fonts = pdfs.font_configuration()
    style = weasyprint.CSS(string=STYLE.read_text(encoding="utf-8"), base_url=f"{pdfs.FONTS.as_uri()}/",
                           font_config=fonts)
    rendered = weasyprint.HTML(string=document, base_url=str(ROOT)).render(stylesheets=[style], font_config=fonts)
    temporary = target.with_name(f".{target.name}.{os.getpid()}")
    rendered.write_pdf(temporary, pdf_variant=None)
    temporary.replace(target)
    return len(rendered.pages)


def enlarged(a4: Path, target: Path) -> int:
    """The A3 poster: the A4 one scaled by the square root of 2, which is
    what A3 is (every length in poster.css is in rem, and ROOT_SIZE grows
    by that factor too); the same vector page, in a third of the time
    WeasyPrint takes to lay it out again.  Its number of pages."""
    import pypdf
    writer = pypdf.PdfWriter(clone_from=a4)
    for page in writer.pages:
        page.scale_by(math.sqrt(2))
        page.compress_content_streams()
    temporary = target.with_name(f".{target.name}.{os.getpid()}")
    with temporary.open("wb") as out:
        writer.write(out)
    temporary.replace(target)
    return len(writer.pages)


def render_preview(pdf: Path, target: Path) -> bool:
    """A small PNG of the poster's page (pypdfium2, which pdfplumber brings);
    False when it is not installed: the site then shows the illustration."""
    try:
        import pypdfium2
    except ImportError:
        return False
    document = pypdfium2.PdfDocument(str(pdf))
    try:
        page = document[0]
        scale = PREVIEW_WIDTH / page.get_width()
        image = page.render(scale=scale).to_pil().convert("RGB")
    finally:
        document.close()
    image = image.quantize(colors=64, dither=0)
    temporary = target.with_name(f".{target.name}.{os.getpid()}")
    image.save(temporary, format="PNG", optimize=True)
    temporary.replace(target)
    return True


def build(poster: Poster, lang: str, size: str, cache: Path = CACHE) -> PosterPdf:
    """The poster's PDF in lang and size, from the cache when nothing it depends on changed."""
    stem = f"{poster.id}-{lang}-{size}"
    target = cached_target(poster, lang, size, cache)
    sidecar = target.with_suffix(".json")
    preview = target.with_suffix(".png") if size == "a4" else None
    if target.is_file() and sidecar.is_file():
        meta = json.loads(sidecar.read_text())
    else:
        cache.mkdir(parents=True, exist_ok=True)
        for old in cache.glob(f"{stem}-*"):
            old.unlink()
        if size == "a3":
            meta = {"pages": enlarged(build(poster, lang, "a4", cache).path, target)}
        else:
            meta = {"pages": render(poster_html(poster, lang, size), target)}
        if preview is not None:
            meta["preview"] = render_preview(target, preview)
        sidecar.write_text(json.dumps(meta))
    folder = f"downloads/posters/{poster.id}"
    has_preview = preview is not None and meta.get("preview") and preview.is_file()
    return PosterPdf(poster=poster.id, lang=lang, size=size, path=target, pages=meta["pages"],
                     bytes=target.stat().st_size, filename=f"{folder}/{stem}.pdf",
                     preview=preview if has_preview else None,
                     preview_filename=f"{folder}/{poster.id}-{lang}.png" if has_preview else None)


def is_cached(poster: Poster, lang: str, size: str, cache: Path = CACHE) -> bool:
    target = cached_target(poster, lang, size, cache)
    return target.is_file() and target.with_suffix(".json").is_file()


def build_all_sizes(poster: Poster, lang: str, cache: Path = CACHE) -> list[PosterPdf]:
    return [build(poster, lang, size, cache) for size in SIZES]


def build_all(poster: Poster, cache: Path = CACHE) -> dict[tuple[str, str, str], PosterPdf]:
    return {(poster.id, lang, size): build(poster, lang, size, cache) for lang in LANGUAGES for size in SIZES}

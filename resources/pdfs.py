"""Each training pack as a PDF in each of its languages, built with WeasyPrint
from its Markdown (resources/pdf/print.css).  A PDF is rebuilt only when what
it is made from changes: the cache (.cache/pdfs/) is keyed by a hash of the
HTML, the stylesheet, the fonts and WeasyPrint's version."""

from __future__ import annotations

import hashlib
import html
import json
import os
from dataclasses import dataclass
from pathlib import Path

import markdown

from report_endpoint.khmer_digits import khmer_digits

from .packs import Pack

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".cache" / "pdfs"
PRINT = Path(__file__).with_name("pdf")
FONTS = ROOT / "overrides" / "assets" / "fonts"
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


def pack_html(pack: Pack, lang: str, labels: dict[str, dict[str, str]]) -> str:
    """The pack as one HTML document: a cover block, then its Markdown."""
    words, colon = WORDS[lang], WORDS[lang]["colon"]
    body = markdown.markdown(pack.body[lang], extensions=EXTENSIONS, output_format="html")
    ages = ", ".join(labels["age_bands"][band] for band in pack.age_bands)
    audience = ", ".join(labels["audience"][a] for a in pack.audience)
    meta = (f'<div class="ihc-pack-meta"><p class="ihc-pack-publisher">{html.escape(words["publisher"])}</p><dl>'
            f'<dt>{words["for"]}{colon}</dt><dd>{html.escape(audience)}</dd>'
            f'<dt>{words["ages"]}{colon}</dt><dd>{html.escape(ages)}</dd>'
            f'<dt>{words["language"]}{colon}</dt><dd>{words["name"]}</dd>'
            f'<dt>{words["reviewed"]}{colon}</dt><dd>{local_date(pack.reviewed, lang)}</dd></dl></div>')
    # The cover block goes right after the H1 title.
    head, found, rest = body.partition("</h1>")
    body = head + found + meta + rest if found else meta + body
    return (f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
            f'<title>{html.escape(pack.title[lang])}</title></head><body>{body}</body></html>')


def fingerprint(document: str) -> str:
    import weasyprint
    digest = hashlib.sha256(document.encode())
    digest.update((PRINT / "print.css").read_bytes())
    for font in sorted(FONTS.glob("*.woff2")):
        digest.update(font.read_bytes())
    digest.update(weasyprint.__version__.encode())
    return digest.hexdigest()[:16]


def render(document: str, target: Path) -> int:
    """Write the PDF; its number of pages."""
    import weasyprint
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()
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


def build(pack: Pack, lang: str, labels: dict[str, dict[str, str]], cache: Path = CACHE) -> Pdf:
    """The pack's PDF in lang, from the cache when nothing it depends on changed."""
    document = pack_html(pack, lang, labels)
    key = fingerprint(document)
    target = cache / f"{pack.id}-{lang}-{key}.pdf"
    sidecar = target.with_suffix(".json")
    if target.is_file() and sidecar.is_file():
        pages = json.loads(sidecar.read_text())["pages"]
    else:
        cache.mkdir(parents=True, exist_ok=True)
        for old in cache.glob(f"{pack.id}-{lang}-*"):
            old.unlink()  # the earlier builds of this pack and language
        pages = render(document, target)
        sidecar.write_text(json.dumps({"pages": pages}))
    return Pdf(pack=pack.id, lang=lang, path=target, pages=pages, size=target.stat().st_size,
               filename=f"downloads/{pack.id}/{pack.id}-{lang}.pdf")

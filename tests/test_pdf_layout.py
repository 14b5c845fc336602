"""The PDFs on paper (resources/pdfs.py, resources/pdf/print.css), read back
from the built PDFs with pdfplumber:

- page bounds: in every PDF, in both languages, every character lies inside
  the page's printable area (the page box minus the @page margins of
  print.css); Khmer, written without spaces, must wrap (it used to run off
  the page in narrow table cells);
- the conversation cards: 8 cards to an A4 sheet, each with its text inside
  its card, at 11 pt or more;
- the family agreement: one A4 page in each language."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pdfplumber
import pypdf
import pytest

from resources import pdfs
from resources.packs import LANGUAGES, load_packs

PACKS = load_packs()
PRINT_CSS = (Path(pdfs.__file__).with_name("pdf") / "print.css").read_text(encoding="utf-8")
MM = 72 / 25.4
TOLERANCE = 1.0          # pt: glyph boxes are the font's, a hair wider than the ink
FOOTER_SIZE = 8.5        # pt: the page number and title in the bottom margin (@bottom-left/right)
COVER_PAGES = 2          # the conversation cards: how to use them and what to do, before the sheets
A4 = (595.28, 841.89)
ZWSP = "\u200b"


def page_margins(name: str = "") -> tuple[float, float, float, float]:
    """The margins (top, right, bottom, left), in pt, of `@page name` in
    print.css (the unnamed @page when name is empty)."""
    block = re.search(r"@page" + (r"\s+" + re.escape(name) if name else "") + r"\s*\{([^@}]*)", PRINT_CSS)
    assert block, f"@page {name} is not in print.css"
    values = re.search(r"margin\s*:\s*([^;]+);", block.group(1)).group(1).split()
    sizes = [float(v[:-2]) * MM if v.endswith("mm") else float(v[:-2]) for v in values]
    top, right, bottom, left = (sizes * 4)[:1] * 4 if len(sizes) == 1 else \
        (sizes[0], sizes[1], sizes[0], sizes[1]) if len(sizes) == 2 else \
        (sizes[0], sizes[1], sizes[2], sizes[1]) if len(sizes) == 3 else sizes
    return top, right, bottom, left


def card_count(pack, lang: str) -> int:
    """The cards in a `layout: cards` pack: each H3 under an H2 {#cards-...}."""
    count, in_cards = 0, False
    for line in pack.body[lang].splitlines():
        if line.startswith("## "):
            in_cards = "{#cards-" in line
        elif line.startswith("### ") and in_cards:
            count += 1
    return count


def named_pages(pack, lang: str, pages: int) -> list[str]:
    """The @page each page of the pack's PDF is laid out on."""
    layout = pdfs.layout_of(pack)
    if layout == "cards":
        sheets = math.ceil(card_count(pack, lang) / pdfs.CARDS_PER_SHEET)
        return [""] * (pages - sheets) + ["cards"] * sheets
    if layout == "one-page":
        return ["one-page"] * pages
    return [""] * pages


def outside(page, margins: tuple[float, float, float, float]) -> list[str]:
    """The characters of a page outside its printable area, described."""
    top, right, bottom, left = margins
    width, height = float(page.width), float(page.height)
    found = []
    for char in page.chars:
        if not char["text"].strip():
            continue
        low = height - bottom
        if char["top"] >= low - TOLERANCE and char["size"] <= FOOTER_SIZE:
            low = height - 5 * MM  # a footer, in the bottom margin: above the last 5 mm
        if (char["x0"] < left - TOLERANCE or char["x1"] > width - right + TOLERANCE
                or char["top"] < top - TOLERANCE or char["bottom"] > low + TOLERANCE):
            found.append(f'page {page.page_number}: {char["text"]!r} at x {char["x0"]:.0f}-{char["x1"]:.0f}, '
                         f'y {char["top"]:.0f}-{char["bottom"]:.0f} (page {width:.0f} x {height:.0f})')
    return found


def pdf_of(site: Path, pack_id: str, lang: str) -> Path:
    """Where the build puts a pack's PDF: the site's downloads/, or restricted/
    beside the site for a pack for partners only."""
    restricted = next(p for p in PACKS if p.id == pack_id).restricted
    base = site.parent / "restricted" if restricted else site / "downloads"
    return base / pack_id / f"{pack_id}-{lang}.pdf"


def out_of_bounds(path: Path, pack=None, lang: str = "en", margins=None) -> list[str]:
    with pdfplumber.open(path) as pdf:
        if margins:
            return [f for page in pdf.pages for f in outside(page, margins)]
        if pack is None:
            # A PDF that is not a pack's (a poster): its margins are its own;
            # it is held to the page less 5 mm, which printers leave blank.
            return [f for page in pdf.pages for f in outside(page, (5 * MM,) * 4)]
        found = []
        for page, name in zip(pdf.pages, named_pages(pack, lang, len(pdf.pages))):
            found += outside(page, page_margins(name))
        return found


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("pack", PACKS, ids=[p.id for p in PACKS])
def test_every_character_lies_inside_the_printable_area(site, pack, lang):
    found = out_of_bounds(pdf_of(site, pack.id, lang), pack, lang)
    assert not found, f"{len(found)} characters outside the printable area:\n" + "\n".join(found[:15])


def test_every_built_pdf_is_checked(site):
    """No PDF in downloads/ escapes the bounds check above (e.g. a new kind)."""
    built = {p.relative_to(site / "downloads").as_posix() for p in (site / "downloads").rglob("*.pdf")}
    checked = {f"{p.id}/{p.id}-{lang}.pdf" for p in PACKS for lang in LANGUAGES if not p.restricted}
    for extra in sorted(built - checked):
        found = out_of_bounds(site / "downloads" / extra)
        assert not found, f"{extra}: " + "\n".join(found[:15])


def test_the_check_sees_text_off_the_page(tmp_path):
    """A run of Khmer with no break opportunity runs off the page; the same
    text with U+200B between its words (as the packs get it) stays on it.
    (In a table cell, print.css's overflow-wrap: anywhere would also break
    it, though inside words: U+200B breaks it between them.)"""
    run = "ការពារកុមារនៅលើអ៊ីនធឺណិតពីការរំលោភបំពានផ្លូវភេទ" * 3
    for text, off_the_page in ((run, True), (pdfs.break_html(run), False)):
        target = tmp_path / "probe.pdf"
        pdfs.render(f'<!doctype html><html lang="km"><head><meta charset="utf-8"></head>'
                    f'<body><p>{text}</p></body></html>', target)
        assert bool(out_of_bounds(target, margins=page_margins())) is off_the_page, text


def test_khmer_text_gets_breaks_between_words_and_only_in_text():
    pack = next(p for p in PACKS if p.id == "staff-training")
    labels = {"age_bands": {b: b for b in pack.age_bands}, "audience": {a: a for a in pack.audience}}
    document = pdfs.pack_html(pack, "km", labels)
    text = re.sub(r"<[^>]*>", "", document)
    assert text.count(ZWSP) > 1000
    assert not any(ZWSP in tag for tag in re.findall(r"<[^>]*>", document))
    # Nothing but U+200B is added: the text is the same without it.
    assert pdfs.break_html('<a href="#ការពារកុមារ" title="ការពារកុមារ">ការពារកុមារ</a>') == \
        f'<a href="#ការពារកុមារ" title="ការពារកុមារ">ការពារ{ZWSP}កុមារ</a>'


# ── The conversation cards ───────────────────────────────────────────────────

def clusters(values: list[float], within: float = 3.0) -> list[float]:
    groups: list[list[float]] = []
    for value in sorted(values):
        if groups and value - groups[-1][-1] <= within:
            groups[-1].append(value)
        else:
            groups.append([value])
    return [sum(g) / len(g) for g in groups]


def card_boxes(page, sheet: tuple[float, float]) -> list[tuple[float, float, float, float]]:
    """The card boxes drawn on a sheet (x0, top, x1, bottom): cells about half
    the sheet wide and a quarter of it high with a line on each of their four
    sides (the cut lines)."""
    width, height = sheet
    across = [ln for ln in page.lines if abs(ln["top"] - ln["bottom"]) < 1]
    down = [ln for ln in page.lines if abs(ln["x0"] - ln["x1"]) < 1]
    xs, ys = clusters([ln["x0"] for ln in down]), clusters([ln["top"] for ln in across])

    def side(lines, at, start, end, key):
        return any(abs(ln[key[0]] - at) < 3 and ln[key[1]] <= start + 3 and ln[key[2]] >= end - 3 for ln in lines)

    boxes = []
    for x0, x1 in zip(xs, xs[1:]):
        for y0, y1 in zip(ys, ys[1:]):
            if abs(x1 - x0 - width / 2) > 4 or abs(y1 - y0 - height / 4) > 4:
                continue
            if (side(across, y0, x0, x1, ("top", "x0", "x1")) and side(across, y1, x0, x1, ("top", "x0", "x1"))
                    and side(down, x0, y0, y1, ("x0", "top", "bottom")) and side(down, x1, y0, y1, ("x0", "top", "bottom"))):
                boxes.append((x0, y0, x1, y1))
    return sorted(boxes, key=lambda b: (b[1], b[0]))


DASH = re.compile(rb"\[\s*[\d.]+\s+[\d.]+\s*\]\s*[\d.]+\s+d\b")


def contents(path: Path, index: int) -> bytes:
    return pypdf.PdfReader(str(path)).pages[index].get_contents().get_data()


CARD_PACKS = [p for p in PACKS if pdfs.layout_of(p) == "cards"]


def test_there_is_a_card_pack():
    assert [p.id for p in CARD_PACKS] == ["conversation-cards"]


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("pack", CARD_PACKS, ids=[p.id for p in CARD_PACKS])
def test_cards_print_eight_to_a_sheet_each_inside_its_card(site, pack, lang):
    cards = card_count(pack, lang)
    assert cards == 24
    sheets = math.ceil(cards / pdfs.CARDS_PER_SHEET)
    top, right, bottom, left = page_margins("cards")
    pdf_path = pdf_of(site, pack.id, lang)
    assert not DASH.search(contents(pdf_path, 0))  # the cover page has no cut lines
    with pdfplumber.open(pdf_path) as pdf:
        assert len(pdf.pages) == COVER_PAGES + sheets
        for number, page in enumerate(pdf.pages[COVER_PAGES:]):
            assert (abs(float(page.width) - A4[0]) < 1 and abs(float(page.height) - A4[1]) < 1)
            sheet = (float(page.width) - left - right, float(page.height) - top - bottom)
            boxes = card_boxes(page, sheet)
            expected = min(pdfs.CARDS_PER_SHEET, cards - number * pdfs.CARDS_PER_SHEET)
            assert len(boxes) == expected, (page.page_number, boxes)
            assert len({round(b[0]) for b in boxes}) == 2  # two columns
            # Dashed cut lines: the sheet sets a dash pattern ("[on off] phase d").
            assert DASH.search(contents(pdf_path, page.page_number - 1)), page.page_number
            strays = [c["text"] for c in page.chars if c["text"].strip() and not any(
                b[0] - TOLERANCE <= c["x0"] and c["x1"] <= b[2] + TOLERANCE
                and b[1] - TOLERANCE <= c["top"] and c["bottom"] <= b[3] + TOLERANCE for b in boxes)]
            assert not strays, f"page {page.page_number}: text outside every card: {''.join(strays)[:80]}"
            # Readable: the question and the tip at 11 pt or more (the small age label aside).
            sizes = sorted(round(c["size"], 1) for c in page.chars if c["text"].strip())
            body = [s for s in sizes if s > 8.5]
            assert body and min(body) >= 10.9 and len(body) > 0.8 * len(sizes), sizes[:10]


# ── One page ──────────────────────────────────────────────────────────────

@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_family_agreement_prints_on_one_a4_page(site, lang):
    pack = next(p for p in PACKS if p.id == "family-agreement")
    assert pdfs.layout_of(pack) == "one-page"
    with pdfplumber.open(pdf_of(site, pack.id, lang)) as pdf:
        assert len(pdf.pages) == 1
        page = pdf.pages[0]
        assert abs(float(page.width) - A4[0]) < 1 and abs(float(page.height) - A4[1]) < 1
        text = page.extract_text()
        assert len(text) > 1500  # its substance, not an empty page

"""The posters (resources/posters/, resources/pdf/poster.css): one page each,
type readable across a classroom, a QR code that a decoder reads back as the
poster's own page in its language, every poster in the library with its
type, sizes and pages, and Khmer posters without English."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pdfplumber
import pytest
from bs4 import BeautifulSoup

from resources import catalog, posters
from resources.packs import LANGUAGES
from site_helpers import built_html

POSTERS = posters.load_posters()
CASES = [(p.id, lang, size) for p in POSTERS for lang in LANGUAGES for size in posters.SIZES]
IDS = [f"{p}-{lang}-{size}" for p, lang, size in CASES]
# Headline and body on A4 (points); A3 is A4 scaled by the square root of 2.
HEADLINE, BODY = 48.0, 20.0
SCALE = {"a4": 1.0, "a3": 2 ** 0.5}
SITE_URL = "https://hotline.example.org/"   # mkdocs.yml's site_url
# Latin letters a Khmer poster may show besides its own web address: names,
# written as their owners write them and as the Khmer pages write them:
# APLE (the organisation that runs the hotline), IHC (the hotline's own short
# name, as on the packs' Khmer covers), Take It Down (NCMEC's service: a reader
# searches for it by this name).  No "CSAM" or other English acronym.
KHMER_ALLOWED_NAMES = ("APLE", "IHC", "TakeItDown")


def pdf_path(site: Path, poster: str, lang: str, size: str) -> Path:
    return site / "downloads" / "posters" / poster / f"{poster}-{lang}-{size}.pdf"


def by_id(poster_id: str):
    return next(p for p in POSTERS if p.id == poster_id)


# ── The set of posters ─────────────────────────────────────────────────────

def test_a_poster_for_every_age_band_and_each_subject():
    bands = {band for p in POSTERS for band in p.age_bands}
    assert {"6-8", "9-11", "12-14", "15-17"} <= bands
    assert {f"ages-{band}" for band in ("6-8", "9-11", "12-14", "15-17")} <= {p.id for p in POSTERS}
    assert {"report", "get-help", "grooming", "sextortion"} <= {p.id for p in POSTERS}
    assert len(CASES) >= 32


def test_the_qr_address_is_the_posters_own_page_in_its_language():
    poster = by_id("grooming")
    assert posters.page_address(poster, "en") == f"{SITE_URL}resources/posters/grooming/"
    assert posters.page_address(poster, "km") == f"{SITE_URL}km/resources/posters/grooming/"


def test_khmer_is_broken_between_words_not_before_a_full_stop():
    text = "ប្រាប់មនុស្សធំដែលប្អូនទុកចិត្ត។ កុំចែករំលែក។"
    broken = posters.khmer_breaks(text)
    assert "\u200b" in broken and "\u200b។" not in broken and "កុំ\u200b" not in broken
    assert broken.replace("\u200b", "") == text


def test_a_poster_is_rendered_again_only_when_it_changes(tmp_path):
    poster = by_id("ages-6-8")
    first = posters.build(poster, "en", "a4", cache=tmp_path)
    stamp = first.path.stat().st_mtime_ns
    again = posters.build(poster, "en", "a4", cache=tmp_path)
    assert again.path == first.path and again.path.stat().st_mtime_ns == stamp
    poster.text["en"]["lines"][0] += " Now."
    try:
        changed = posters.build(poster, "en", "a4", cache=tmp_path)
    finally:
        poster.text["en"]["lines"][0] = poster.text["en"]["lines"][0][:-len(" Now.")]
    assert changed.path != first.path and not first.path.exists()


# ── Each PDF ───────────────────────────────────────────────────────────────

def fine_print(poster, lang: str) -> int:
    """How many characters the small print may hold: the address and the credit."""
    return len(posters.page_address(poster, lang)) + len(posters.WORDS[lang]["credit"])


@pytest.mark.parametrize("poster_id, lang, size", CASES, ids=IDS)
def test_one_page_large_type_and_everything_on_the_page(site, poster_id, lang, size):
    path = pdf_path(site, poster_id, lang, size)
    assert path.is_file(), path
    with pdfplumber.open(path) as pdf:
        assert len(pdf.pages) == 1
        page = pdf.pages[0]
        chars = [c for c in page.chars if c["text"].strip() and c["text"] != "\u200b"]
        # Nothing runs off the sheet (a flex layout that overflows is not paginated).
        outside = [c["text"] for c in chars
                   if c["x0"] < 0 or c["x1"] > page.width or c["top"] < 0 or c["bottom"] > page.height]
        assert outside == []
        scale = SCALE[size]
        biggest = max(c["size"] for c in chars)
        assert biggest >= HEADLINE * scale - 0.05
        headline = [c for c in chars if c["size"] >= biggest - 0.01]
        # The largest type is the headline, in the top third of the sheet.
        assert all(c["bottom"] < page.height / 3 for c in headline)
        if lang == "en":
            wanted = re.sub(r"\s", "", by_id(poster_id).text["en"]["headline"])
            assert "".join(c["text"] for c in headline) == wanted
        # Body text at least 20pt on A4: only the address and the credit are smaller.
        small = [c for c in chars if c["size"] < BODY * scale - 0.05]
        # The foot (address and credit) is there: a layout that overflows loses it.
        address = posters.page_address(by_id(poster_id), lang)
        assert len(address) + 10 <= len(small) <= fine_print(by_id(poster_id), lang)
        assert all(c["top"] > page.height * 0.85 for c in small), "small print above the foot"
        if lang == "en":
            text = "".join(c["text"] for c in small)
            assert address in text and re.sub(r"\s", "", posters.WORDS["en"]["credit"]) in text


@pytest.mark.parametrize("poster_id, lang, size", CASES, ids=IDS)
def test_the_qr_code_reads_back_as_the_posters_page(site, tmp_path, poster_id, lang, size):
    image = tmp_path / "poster"
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-singlefile", str(pdf_path(site, poster_id, lang, size)),
                    str(image)], check=True, timeout=60)
    found = subprocess.run(["zbarimg", "--raw", "-q", str(image.with_suffix(".png"))], capture_output=True,
                           text=True, timeout=60)
    prefix = "" if lang == "en" else f"{lang}/"
    expected = f"{SITE_URL}{prefix}resources/posters/{poster_id}/"
    assert found.stdout.split() == [expected]
    # ...and that page is built, in the poster's language.
    built = site / prefix / "resources" / "posters" / poster_id / "index.html"
    assert f'lang="{lang}"' in built.read_text(encoding="utf-8")[:400]


@pytest.mark.parametrize("poster_id", [p.id for p in POSTERS])
def test_khmer_posters_have_no_english(site, poster_id):
    for size in posters.SIZES:
        with pdfplumber.open(pdf_path(site, poster_id, "km", size)) as pdf:
            text = "".join(c["text"] for c in pdf.pages[0].chars if c["text"].strip() and c["text"] != "\u200b")
        assert re.search("[\u1780-\u17ff]", text)
        text = text.replace(posters.page_address(by_id(poster_id), "km"), "", 1)
        for name in KHMER_ALLOWED_NAMES:
            text = text.replace(name, "")
        # No Latin letter and no Western digit (phone numbers in Khmer digits).
        assert re.findall("[A-Za-z0-9]", text) == []


@pytest.mark.parametrize("poster_id, lang, size", CASES, ids=IDS)
def test_each_poster_pdf_is_small(site, poster_id, lang, size):
    assert pdf_path(site, poster_id, lang, size).stat().st_size <= 300_000


# ── On the site ────────────────────────────────────────────────────────────

@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_poster_is_in_the_library_with_its_type_sizes_and_pages(site, lang):
    library = BeautifulSoup(built_html(site, "resources/index.md", lang).read_text(encoding="utf-8"), "html.parser")
    label = catalog.labels()["types"]["poster"][lang]
    for poster in POSTERS:
        item = library.select_one(f"#resource-poster-{poster.id}")
        assert item is not None, poster.id
        assert item["data-types"] == "poster" and label in item.select_one(".ihc-resource__tags").get_text()
        links = item.select("a[type='application/pdf']")
        assert sorted((a["hreflang"], a["data-size"]) for a in links) == sorted(
            (other, size) for other in LANGUAGES for size in posters.SIZES)
        for link in links:
            text = link.get_text()
            assert link["data-pages"] == "1"
            target = (built_html(site, "resources/index.md", lang).parent / link["href"]).resolve()
            assert target.is_file() and target.stat().st_size == int(link["data-bytes"])
            if lang == "km":
                assert "១ ទំព័រ" in text and re.search("[០-៩.]+ គីឡូបៃ", text)
                assert not re.search("KB|MB|page", text)
            else:
                assert "1 page" in text and re.search(r"\d+ KB", text)
                assert link["data-size"].upper() in text


@pytest.mark.parametrize("lang", LANGUAGES)
def test_each_poster_page_shows_its_preview_and_its_downloads(site, lang):
    index = BeautifulSoup(built_html(site, "resources/posters/index.md", lang).read_text(encoding="utf-8"),
                          "html.parser")
    assert len(index.select(".ihc-cards--posters li")) == len(POSTERS)
    for poster in POSTERS:
        path = built_html(site, poster.page, lang)
        page = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
        preview = page.select_one("figure.ihc-poster img")
        assert preview and preview["alt"] and (path.parent / preview["src"]).resolve().is_file()
        links = page.select("a[type='application/pdf']")
        assert [a["hreflang"] for a in links[:2]] == [lang, lang]   # its own language first
        assert len(links) == 4
        assert poster.text[lang]["lines"][0] in page.select_one(".ihc-poster-text").get_text()

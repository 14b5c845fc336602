"""The learning resource library (resources/, hooks/resource_library.py):
metadata, filters, audience hubs, the packs' PDFs in both languages, review
dates on every page and download, and the offline kit opened from file://."""

from __future__ import annotations

import difflib
import re
import time
from pathlib import Path

import pypdf
import pytest
from bs4 import BeautifulSoup

from resources import catalog, pdfs
from resources.packs import AGE_BANDS, AUDIENCES, LANGUAGES, TOPICS, TYPES, load_packs
from site_helpers import built_html, fonts_drawing, nav_pages

RESOURCES = catalog.load()
PACKS = [r for r in RESOURCES if r.kind == "pack"]
DIMENSIONS = {"audience": AUDIENCES, "age_bands": AGE_BANDS, "topics": TOPICS, "types": TYPES}
KHMER = re.compile(r"[\u1780-\u17ff]")
# The children's pages list no catalogue: its packs are for the grown-ups who
# teach them, on the schools and parents hubs and in the library.
HUBS = {"young-people": "resources/young-people.md",
        "parents": "resources/parents.md", "professionals": "resources/professionals.md",
        "schools": "resources/schools.md", "public-media": "resources/public-media.md"}


def page(site: Path, path: str, lang: str) -> BeautifulSoup:
    return BeautifulSoup(built_html(site, path, lang).read_text(encoding="utf-8"), "html.parser")


# ── Metadata ────────────────────────────────────────────────────────────────

@pytest.mark.parametrize("resource", RESOURCES, ids=[r.id for r in RESOURCES])
def test_every_resource_has_all_its_metadata(resource):
    for key in DIMENSIONS:
        assert getattr(resource, key), key
    assert resource.reviewed
    assert set(resource.languages) == set(LANGUAGES)
    for lang in LANGUAGES:
        assert resource.title[lang].strip() and resource.summary[lang].strip()
    assert KHMER.search(resource.title["km"]) and KHMER.search(resource.summary["km"])


def test_every_filter_value_leads_to_a_resource():
    empty = [f"{key}={value}" for key, values in DIMENSIONS.items() for value in values
             if not any(value in getattr(r, key) for r in RESOURCES)]
    assert empty == []


def test_every_label_exists_in_both_languages():
    labels = catalog.labels()
    for key, values in DIMENSIONS.items():
        assert set(labels[key]) == set(values), key
        for value in values:
            assert labels[key][value]["en"] and KHMER.search(labels[key][value]["km"]), (key, value)


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("audience", list(HUBS))
def test_each_audience_hub_lists_exactly_its_resources(site, audience, lang):
    listed = [item["data-resource"] for item in page(site, HUBS[audience], lang).select("[data-resource]")]
    expected = [r.id for r in RESOURCES if audience in r.audience and r.page != HUBS[audience]]
    assert listed == expected


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_library_lists_every_resource_with_its_downloads(site, lang):
    library = page(site, "resources/index.md", lang)
    assert [i["data-resource"] for i in library.select("[data-resource]")] == [r.id for r in RESOURCES]
    for resource in PACKS:
        item = library.select_one(f"#resource-{resource.id}")
        if resource.restricted:
            # Listed, marked for partners with a lock, linked to the partners' area, never to the file.
            assert [a["href"].rstrip("/").rsplit("/", 1)[-1] for a in item.select("a")] in (["partners"],
                                                                                            ["index.html"])
            assert not [a for a in item.select("a") if ".pdf" in a["href"]]
            assert item.select_one(".ihc-resource__restricted svg.ihc-lock")
            assert ("partners" if lang == "en" else "ដៃគូ") in item.select_one(".ihc-resource__restricted").get_text()
            continue
        links = library.select(f"#resource-{resource.id} a[type='application/pdf']")
        assert {a["hreflang"] for a in links} == set(LANGUAGES)
        for link in links:
            text = link.get_text()
            # Format, language, pages and size, in the page's language.
            assert "PDF" in text and int(link["data-pages"]) >= 1 and int(link["data-bytes"]) > 1000
            if lang == "km":
                # Khmer digits and units (CONTENT.md): "១២៣ គីឡូបៃ", "១,២ មេកាបៃ".
                assert re.search("[០-៩]+ ទំព័រ", text) and re.search("[០-៩.]+ គីឡូបៃ|[០-៩.]+,[០-៩] មេកាបៃ", text)
                assert not re.search("[0-9]|KB|MB", text)
            else:
                assert re.search(r"\d+ pages", text) and re.search(r"\d+ KB|[\d.]+ MB", text)
            target = (built_html(site, "resources/index.md", lang).parent / link["href"]).resolve()
            assert target.is_file() and target.stat().st_size == int(link["data-bytes"])
        assert library.select_one(f"#resource-{resource.id} .ihc-resource__reviewed")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_page_says_when_it_was_last_reviewed(site, lang):
    missing = [path for path in nav_pages()
               if not (page(site, path, lang).select_one(".ihc-reviewed time[datetime]"))]
    assert missing == []


# ── The PDFs ────────────────────────────────────────────────────────────────

def downloads(site: Path) -> list[tuple[str, str, Path]]:
    """Every pack's PDFs, the restricted ones where the build puts them (restricted/ beside the site)."""
    return [(p.id, lang, (site.parent / "restricted" if p.restricted else site / "downloads") / p.id /
             f"{p.id}-{lang}.pdf") for p in PACKS for lang in LANGUAGES]


def test_there_are_packs_for_every_age_band_and_staff():
    ids = {p.id for p in PACKS}
    assert {"lessons-6-8", "lessons-9-11", "lessons-12-14", "lessons-15-17", "staff-training",
            "school-self-review", "safeguarding-policy-template", "family-agreement", "conversation-cards"} <= ids


def fonts_of(reader: pypdf.PdfReader) -> dict[str, dict]:
    found = {}
    for pdf_page in reader.pages:
        for font in (pdf_page.get("/Resources", {}).get("/Font", {}) or {}).values():
            font = font.get_object()
            found[str(font["/BaseFont"])] = font
    return found


def to_unicode_text(font) -> str:
    return font["/ToUnicode"].get_object().get_data().decode("latin-1") if "/ToUnicode" in font else ""


def test_each_pdf_exists_embeds_its_fonts_and_carries_its_title(site):
    for pack_id, lang, path in downloads(site):
        assert path.is_file(), path
        reader = pypdf.PdfReader(str(path))
        pack = next(p for p in PACKS if p.id == pack_id)
        assert reader.metadata.title == pack.title[lang]
        fonts = fonts_of(reader)
        assert fonts
        for name, font in fonts.items():
            descendant = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
            descriptor = descendant["/FontDescriptor"].get_object()
            assert any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")), (path, name)
        first = reader.pages[0].extract_text()
        if lang == "km":
            assert any("Khmer" in name for name in fonts), fonts
            # The exact title is the PDF's own title.  On the page, shaped Khmer
            # cannot come back out exactly: a PDF maps each glyph to one piece of
            # text (ToUnicode), while Khmer shaping reorders vowels and reuses a
            # glyph in several clusters, and WeasyPrint writes no ActualText.  So
            # most of the title's letters must come out, in order, on page 1.
            title = re.sub(r"\s", "", pack.title["km"])
            text = re.sub(r"\s", "", first)[: len(title) + 40]
            matched = sum(block.size for block in difflib.SequenceMatcher(None, title, text).get_matching_blocks())
            assert matched >= 0.6 * len(title), (path, first[:200])
        else:
            assert pack.title["en"] in first.replace("\n", " ")


def test_khmer_pdfs_show_shaped_khmer_not_dotted_circles(site):
    """A cluster the shaper could not form is drawn with a dotted circle
    (U+25CC) or the empty .notdef glyph: neither is in any Khmer PDF's text or
    in its fonts' glyph-to-text maps, and the Khmer font maps subscript and
    vowel glyphs (shaping happened)."""
    for pack_id, lang, path in downloads(site):
        if lang != "km":
            continue
        reader = pypdf.PdfReader(str(path))
        text = "".join(p.extract_text() for p in reader.pages)
        assert "\u25cc" not in text and "\ufffd" not in text, path
        khmer_maps = [to_unicode_text(font) for name, font in fonts_of(reader).items() if "Khmer" in name]
        joined = "".join(khmer_maps).upper()
        assert khmer_maps and "25CC" not in joined, path
        assert "17D2" in joined, path          # the coeng: subscript consonants were shaped
        assert re.search(r"17B[6-9A-F]|17C[0-5]", joined), path  # dependent vowels


def test_a_pdf_is_rebuilt_only_when_its_source_changes(tmp_path):
    source = load_packs()[0]
    labels = {dim: {value: text["en"] for value, text in values.items()} for dim, values in catalog.labels().items()}
    first = pdfs.build(source, "en", labels, cache=tmp_path)
    stamp = first.path.stat().st_mtime_ns
    time.sleep(0.01)
    again = pdfs.build(source, "en", labels, cache=tmp_path)
    assert again.path == first.path and again.path.stat().st_mtime_ns == stamp
    source.body["en"] += "\n\nOne more line.\n"
    changed = pdfs.build(source, "en", labels, cache=tmp_path)
    assert changed.path != first.path and not first.path.exists()


# ── The offline kit ─────────────────────────────────────────────────────────

def test_the_schools_page_links_the_kit_with_its_size(site):
    for lang in LANGUAGES:
        link = page(site, "resources/schools.md", lang).select_one("a[type='application/zip']")
        target = (built_html(site, "resources/schools.md", lang).parent / link["href"]).resolve()
        assert target.is_file() and target.stat().st_size == int(link["data-bytes"])
        size = r"[\d.]+ (KB|MB)" if lang == "en" else "[០-៩.,]+ (គីឡូបៃ|មេកាបៃ)"
        assert re.search(size, link.get_text())


def test_the_kit_holds_both_languages_and_every_pdf(kit, site):
    assert (kit / "index.html").is_file() and (kit / "km" / "index.html").is_file()
    for pack_id, lang, _path in downloads(site):
        restricted = next(p for p in PACKS if p.id == pack_id).restricted
        # Every public pack's PDFs; never a restricted one's (tests/test_restricted_packs.py).
        assert (kit / "downloads" / pack_id / f"{pack_id}-{lang}.pdf").is_file() != restricted


def test_the_kit_works_from_file_with_navigation_and_search(new_context, kit):
    context = new_context()
    page_ = context.new_page()
    errors: list[str] = []
    page_.on("pageerror", lambda error: errors.append(str(error)))
    page_.goto((kit / "km" / "index.html").as_uri())
    assert page_.locator("html").get_attribute("lang") == "km"
    # Navigation: the resources tab, then a resource page through the library.
    page_.locator(".md-tabs a[href$='resources/index.html']").first.click()
    page_.wait_for_load_state()
    assert page_.url.endswith("/km/resources/index.html")
    page_.locator("#resource-page-resources-parents-title a").click()
    page_.wait_for_load_state()
    assert page_.url.endswith("/km/resources/parents.html")
    assert page_.locator("h1#resources-parents").count() == 1
    # The Khmer font is the site's own, even from file://.
    assert any(f["isCustomFont"] and "Khmer" in f["familyName"] for f in fonts_drawing(page_, "article h1"))
    # Search, in Khmer.
    page_.locator(".md-search__input").click()
    page_.locator(".md-search__input").fill("រាយការណ៍")
    page_.wait_for_selector(".md-search-result__item", timeout=15000)
    first = page_.locator(".md-search-result__item a").first.get_attribute("href")
    assert "/km/" in first or first.startswith("../") or "km" in page_.url
    assert errors == []


# ── The filters ─────────────────────────────────────────────────────────────

def test_the_library_filters_narrow_the_list(new_context, base_url):
    context = new_context()
    page_ = context.new_page()
    page_.goto(base_url + "km/resources/")
    assert page_.locator("[data-ihc-filters]").is_visible()
    total = page_.locator("[data-resource]").count()
    page_.select_option("#filter-audience", "schools")
    shown = page_.locator("[data-resource]:visible").count()
    assert 0 < shown < total == len(RESOURCES)
    assert shown == sum(1 for r in RESOURCES if "schools" in r.audience)
    page_.select_option("#filter-age", "6-8")
    assert page_.locator("[data-resource]:visible").count() == sum(
        1 for r in RESOURCES if "schools" in r.audience and "6-8" in r.age_bands)
    assert "audience=schools" in page_.url
    # Without JavaScript the form is hidden and every resource shows.
    context = new_context(java_script_enabled=False)
    page_ = context.new_page()
    page_.goto(base_url + "km/resources/")
    assert page_.locator("[data-ihc-filters]").is_hidden()
    assert page_.locator("[data-resource]:visible").count() == len(RESOURCES)

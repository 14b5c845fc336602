"""Content rules a reader relies on, checked in every page, pack and PDF of
both languages:

- the child in an image is never presented as breaking the law (the sources
  say only that producing and distributing the material is a crime);
- no wording that goes stale: "this year" or "next year" only beside an
  explicit year;
- the guides to the apps children use exist in both languages, each with its
  review date and every section, and the report page links their
  copy-a-link steps."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pypdf
import pytest
from bs4 import BeautifulSoup

from resources import catalog
from resources.packs import LANGUAGES, PACKS, split_front_matter
from site_helpers import DOCS, ROOT, built_html

PACK_SOURCES = sorted(PACKS.glob("*/*.md"))
PAGE_SOURCES = sorted(DOCS.glob("*/**/*.md"))
SOURCES = PAGE_SOURCES + PACK_SOURCES


def rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def flat(text: str) -> str:
    """One line of text: Markdown line breaks and emphasis do not hide a phrase."""
    text = re.sub(r"[*_`]", "", text)
    return re.sub(r"\s+", " ", text)


# ── The child in an image is never presented as breaking the law ───────────

# Each phrase says, or lets a child read, that the young person in a sexual
# image committed a crime.  Together they catch the wording this site had
# before December 2026 (see SAMPLES below).
BLAMING = {
    "en": [
        r"illegal for everyone",
        r"including [^.]{0,80}\b(the )?(young person|child|victim|person) in the (image|photo|picture|video)",
        r"no exception for (young people|children|teenagers|minors)",
        r"even between (young people|children|teenagers)",
        r"making or sharing (a sexual image of (anyone|someone) under 18 )?is (illegal|a crime|against the law)",
        r"(the )?(young person|child|victim|person) in the (image|photo|picture|video) "
        r"(is|was|are|were) (also )?(breaking|broke|committing|guilty|an offender|a criminal|to blame)",
        r"(images?|photos?|pictures?|videos?) of (yourself|themselves|himself|herself)[^.]{0,60}"
        r"\b(is|are) (illegal|a crime|against the law)",
        r"if both (people|of you) are under 18 and agree",
    ],
    "km": [
        r"ខុសច្បាប់សម្រាប់មនុស្សគ្រប់គ្នា",
        r"រួមទាំង[^។]{0,80}(យុវជន|កុមារ|ម្ចាស់រូប)ដែលនៅក្នុងរូប",
        r"មិនមានការលើកលែងសម្រាប់(យុវជន|កុមារ)",
        r"សូម្បីតែរវាង(យុវជន|កុមារ)",
        r"ការថត ?ឬ ?ការចែក(ចាយ|រំលែក)[^។]{0,60}គឺខុសច្បាប់",
        r"(យុវជន|កុមារ|ម្ចាស់រូប)ដែលនៅក្នុងរូប(ភាព|ថត)[^។]{0,30}(?<!មិនមែន)(?<!មិន)(ជាជនល្មើស|ប្រព្រឹត្តបទល្មើស|ខុសច្បាប់)",
        r"អ្នកទាំងពីរមានអាយុក្រោម ?[១1][៨8] ?ឆ្នាំ ?ហើយយល់ព្រម",
    ],
}
BLAMING_RE = {lang: re.compile("|".join(f"(?:{p})" for p in patterns), re.I) for lang, patterns in BLAMING.items()}

# Wording taken from the pages and packs before the fix: the phrase list must
# catch every one of them, or it would not have caught the problem.
SAMPLES = {
    "en": [
        "The law makes no exception for young people: making or sharing a sexual image of someone under 18 "
        "is illegal for everyone, including friends who forward it and the young person in the image.",
        "Making or sharing a sexual image of anyone under 18 is illegal for everyone, including friends who forward it.",
        "state that making or sharing a sexual image of anyone under 18 is illegal in Cambodia, even between young people;",
        '"Under 18: making or sharing is illegal. If it happens to you: it is not your fault."',
        '"If both people are under 18 and agree, sharing a sexual image is legal." **Myth.**',
    ],
    "km": [
        "ច្បាប់មិនមានការលើកលែងសម្រាប់យុវជនទេ៖ ការថត ឬការចែកចាយរូបភាពផ្លូវភេទរបស់អ្នកដែលមានអាយុក្រោម ១៨ ឆ្នាំ "
        "គឺខុសច្បាប់សម្រាប់មនុស្សគ្រប់គ្នា រួមទាំងមិត្តភក្តិដែលបញ្ជូនបន្ត និងយុវជនដែលនៅក្នុងរូបភាពនោះផងដែរ។",
        "ប្រាប់ថា ការថត ឬការចែកចាយរូបភាពផ្លូវភេទរបស់អ្នកដែលមានអាយុក្រោម ១៨ ឆ្នាំ គឺខុសច្បាប់នៅកម្ពុជា "
        "សូម្បីតែរវាងយុវជនជាមួយគ្នាក៏ដោយ",
        "«អាយុក្រោម ១៨ ឆ្នាំ៖ ការថត ឬការចែកចាយ គឺខុសច្បាប់។",
        "ប្រសិនបើអ្នកទាំងពីរមានអាយុក្រោម ១៨ ឆ្នាំ ហើយយល់ព្រម ការចែករំលែករូបភាពផ្លូវភេទ គឺស្របច្បាប់",
    ],
}


def language_of(path: Path) -> str:
    return path.stem if path.is_relative_to(PACKS) else path.relative_to(DOCS).parts[0]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_phrase_list_catches_the_old_wording(lang):
    missed = [sample for sample in SAMPLES[lang] if not BLAMING_RE[lang].search(flat(sample))]
    assert not missed


def test_no_page_or_pack_presents_the_child_in_an_image_as_breaking_the_law():
    found = []
    for path in SOURCES:
        text = flat(re.sub(r"<!--.*?-->", "", path.read_text(encoding="utf-8"), flags=re.S))
        for match in BLAMING_RE[language_of(path)].finditer(text):
            found.append(f"{rel(path)}: …{text[max(0, match.start() - 60):match.end() + 60]}…")
    assert not found, "\n".join(found)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_built_page_presents_the_child_in_an_image_as_breaking_the_law(site, lang):
    found = []
    root = site if lang == "en" else site / lang
    for path in sorted(root.rglob("index.html")):
        if lang == "en" and path.relative_to(site).parts[0] in LANGUAGES[1:]:
            continue
        soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
        main = soup.find("main") or soup
        text = flat(main.get_text(" "))
        found += [f"{path.relative_to(site)}: {m.group(0)}" for m in BLAMING_RE[lang].finditer(text)]
    assert not found, "\n".join(found)


def test_no_pdf_presents_the_child_in_an_image_as_breaking_the_law(site):
    """The PDFs' text as a reader's PDF tool gives it back.  Khmer text comes back
    from a PDF only approximately (shaping reorders glyphs), so the Khmer packs
    are also held to the rule through their sources, above."""
    pdf_paths = sorted((site / "downloads").rglob("*.pdf"))
    assert pdf_paths
    found = []
    for path in pdf_paths:
        lang = "km" if path.stem.endswith("-km") else "en"
        text = flat(" ".join(page.extract_text() or "" for page in pypdf.PdfReader(str(path)).pages))
        found += [f"{path.name}: {m.group(0)}" for m in BLAMING_RE[lang].finditer(text)]
    assert not found, "\n".join(found)


# ── Wording that goes stale ────────────────────────────────────────────────

STALE = {
    "en": (re.compile(r"\b(this|next) (year|year's)\b|\b(this|next) years?\b", re.I), re.compile(r"\b(19|20)\d\d\b"),
           re.compile(r"(?<=[.!?])\s+")),
    "km": (re.compile(r"ឆ្នាំ(នេះ|ក្រោយ|មុខ|ខាងមុខ)"), re.compile(r"[០-៩]{4}|\b(19|20)\d\d\b"), re.compile(r"[។!?]")),
}
TEMPLATES = sorted((ROOT / "overrides").rglob("*.html")) + sorted((ROOT / "report_endpoint").rglob("*.html")) \
    + sorted((ROOT / "report_endpoint").rglob("*.po"))


def test_no_this_year_or_next_year_without_an_explicit_year():
    found = []
    for path in SOURCES + TEMPLATES:
        text = re.sub(r"<!--.*?-->", "", path.read_text(encoding="utf-8"), flags=re.S)
        languages = [language_of(path)] if path in SOURCES else list(LANGUAGES)
        for lang in languages:
            stale, year, sentence_end = STALE[lang]
            for sentence in sentence_end.split(flat(text)):
                if stale.search(sentence) and not year.search(sentence):
                    found.append(f"{rel(path)}: {sentence.strip()[:160]}")
    assert not found, "\n".join(found)


def test_the_stale_wording_check_would_catch_the_old_wording():
    assert STALE["en"][0].search("For this year's campaign and ideas for taking part, go to Safer Internet Day.")
    assert STALE["km"][0].search("សម្រាប់យុទ្ធនាការឆ្នាំនេះ និងគំនិតសម្រាប់ការចូលរួម")


# ── Guides to the apps children use ────────────────────────────────────────

APPS = ("facebook", "messenger", "tiktok", "telegram", "youtube", "instagram", "whatsapp",
        "free-fire", "mobile-legends", "roblox")
SECTIONS = ("minimum-age", "privacy-settings", "block", "report-in-app", "copy-link", "get-help")
HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*\{#([a-z0-9-]+)\}\s*$", re.M)


def guide(lang: str, app: str) -> tuple[dict, str]:
    return split_front_matter((DOCS / lang / "resources" / "apps" / f"{app}.md").read_text(encoding="utf-8"))


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("app", APPS)
def test_each_app_guide_has_its_review_date_and_every_section(lang, app):
    meta, body = guide(lang, app)
    assert isinstance(meta.get("reviewed"), dt.date) and meta.get("description")
    headings = HEADING.findall(body)
    assert headings[0][0] == "#" and headings[0][2] == f"app-{app}"
    h2 = [anchor for level, _, anchor in headings if level == "##"]
    assert tuple(h2) == SECTIONS
    # Every section says something (not just a heading), and nothing is left to write.
    parts = re.split(r"^## .*$", body, flags=re.M)
    assert all(len(flat(part).strip()) > 80 for part in parts[1:]), [len(flat(p)) for p in parts[1:]]
    assert "to be written" not in body and "នឹងសរសេរ" not in body
    # The note that menus change, and the date the guide was checked.
    assert re.search(r"menus? change|ម៉ឺនុយ[^\n]{0,40}ផ្លាស់ប្តូរ", body, re.I)


@pytest.mark.parametrize("app", APPS)
def test_each_app_guide_is_in_the_library_as_an_app_guide(app):
    entry = next(r for r in catalog.load() if r.page == f"resources/apps/{app}.md")
    assert entry.types == ["app guide"]
    assert {"parents", "young-people"} <= set(entry.audience)


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("app", APPS)
def test_each_built_app_guide_shows_its_review_date(site, lang, app):
    soup = BeautifulSoup(built_html(site, f"resources/apps/{app}.md", lang).read_text(encoding="utf-8"), "html.parser")
    meta, _ = guide(lang, app)
    assert soup.select_one("#copy-link") and soup.select_one("#minimum-age")
    reviewed = {"en": "Last reviewed", "km": "ពិនិត្យចុងក្រោយ"}[lang]
    assert reviewed in soup.get_text(" ")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_report_pages_link_every_guides_copy_a_link_steps(site, lang):
    soup = BeautifulSoup(built_html(site, "report/how-to-report.md", lang).read_text(encoding="utf-8"), "html.parser")
    hrefs = {a["href"] for a in soup.select("article a[href]")}
    missing = [app for app in APPS if f"../../resources/apps/{app}/#copy-link" not in hrefs]
    assert not missing, sorted(hrefs)
    form_page = BeautifulSoup(built_html(site, "report/index.md", lang).read_text(encoding="utf-8"), "html.parser")
    assert any(a["href"].endswith("resources/apps/") for a in form_page.select("article a[href]"))


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("hub", ["resources/parents.md", "resources/young-people.md"])
def test_the_parents_and_young_peoples_hubs_link_the_app_guides(site, lang, hub):
    soup = BeautifulSoup(built_html(site, hub, lang).read_text(encoding="utf-8"), "html.parser")
    hrefs = {a["href"] for a in soup.select("article a[href]")}
    assert "../apps/" in hrefs or "apps/" in hrefs, sorted(hrefs)
    assert all(any(h.startswith(f"../apps/{app}/") for h in hrefs) for app in APPS)

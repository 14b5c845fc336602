"""Share cards (overrides/hooks/share_images.py, overrides/main.html): every
page in both languages carries the Open Graph and Twitter card tags, and its
share image, a 1200x630 PNG of at most 60 KB with the page's title in its own
language, drawn at build time.

Khmer in the images is shaped: the hook's own text drawing is compared with
Chromium's rendering of the same titles in the same font (a rendering known
to be shaped), by the size of the ink and the overlap of the two inked
areas.  The same check run on Pillow's BASIC layout, which does not shape
Khmer (subscripts drawn as full letters, vowels in the wrong place), must fail:
that negative control is part of the test."""

from __future__ import annotations

import base64
import html
import io
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from PIL import Image, ImageChops, ImageDraw, ImageFont

from site_helpers import ROOT, mkdocs_config

sys.path.insert(0, str(ROOT / "overrides" / "hooks"))
import share_images as hook  # noqa: E402
from resources.khmer_breaks import khmer_words  # noqa: E402

SITE_URL = mkdocs_config()["site_url"]
LOCALE = {"en": ("en_US", "km_KH"), "km": ("km_KH", "en_US")}
REQUIRED = ("og:type", "og:site_name", "og:title", "og:description", "og:url", "og:image", "og:image:width",
            "og:image:height", "og:image:alt", "og:locale", "og:locale:alternate", "twitter:card",
            "twitter:title", "twitter:description", "twitter:image")
# Khmer titles of built pages, each with subscripts (coeng) and vowels that
# an unshaped layout gets wrong.
SHAPED_PAGES = ("km/topics/sextortion/index.html", "km/topics/grooming/index.html",
                "km/resources/apps/index.html", "km/get-help/index.html")
MAX_BYTES = 60 * 1024


class HeadMeta(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: dict[str, list[str]] = {}
        self.canonical = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "meta" and (attrs.get("property") or attrs.get("name")):
            self.tags.setdefault(attrs.get("property") or attrs.get("name"), []).append(attrs.get("content") or "")
        elif tag == "link" and attrs.get("rel") == "canonical":
            self.canonical = attrs.get("href")


def head_meta(path: Path) -> HeadMeta:
    parser = HeadMeta()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def pages(site: Path) -> list[Path]:
    found = [path for path in sorted(site.rglob("*.html")) if path.relative_to(site).as_posix() not in
             ("404.html", "km/404.html")]
    assert len([p for p in found if p.relative_to(site).parts[0] == "km"]) > 40, "the Khmer site was not built"
    return found


def language(site: Path, page: Path) -> str:
    return "km" if page.relative_to(site).parts[0] == "km" else "en"


def image_file(site: Path, url: str) -> Path:
    return site / urlsplit(url).path.lstrip("/")


# ── Tags and images on every page ───────────────────────────────────────────

def test_every_page_carries_the_share_tags(site):
    problems: dict[str, list[str]] = {}
    for page in pages(site):
        meta, lang = head_meta(page), language(site, page)
        tags, wrong = meta.tags, []
        wrong += [f"{name} missing" for name in REQUIRED if not (tags.get(name) or [""])[0].strip()]
        wrong += [f"{name} twice" for name in REQUIRED if len(tags.get(name, [])) > 1]
        one = {name: values[0] for name, values in tags.items()}
        if (one.get("og:locale"), one.get("og:locale:alternate")) != LOCALE[lang]:
            wrong.append(f"locale {one.get('og:locale')}/{one.get('og:locale:alternate')} on a {lang} page")
        if one.get("twitter:card") != "summary_large_image":
            wrong.append(f"twitter:card {one.get('twitter:card')}")
        if (one.get("og:image:width"), one.get("og:image:height")) != ("1200", "630"):
            wrong.append("og:image size is not 1200x630")
        if one.get("og:url") != meta.canonical or not (one.get("og:url") or "").startswith(SITE_URL):
            wrong.append(f"og:url {one.get('og:url')} is not the canonical {meta.canonical}")
        for name in ("og:image", "twitter:image"):
            if not (one.get(name) or "").startswith(SITE_URL + "assets/share/"):
                wrong.append(f"{name} {one.get(name)} is not an absolute address on {SITE_URL}")
        if one.get("og:image") != one.get("twitter:image"):
            wrong.append("og:image and twitter:image differ")
        if one.get("og:title") != one.get("twitter:title") or one.get("og:description") != one.get("twitter:description"):
            wrong.append("the Open Graph and Twitter texts differ")
        if lang == "km":
            for name in ("og:title", "og:description", "og:site_name", "og:image:alt"):
                if not hook.KHMER_RUN.search(one.get(name, "")):
                    wrong.append(f"{name} is not in Khmer: {one.get(name)!r}")
        if wrong:
            problems[str(page.relative_to(site))] = wrong
    assert not problems, "\n".join(f"{page}: {'; '.join(found)}" for page, found in problems.items())


def test_every_share_image_is_a_png_of_1200_by_630_within_60_kb(site):
    problems, images = [], set()
    for page in pages(site):
        url = head_meta(page).tags.get("og:image", [""])[0]
        path = image_file(site, url)
        if not path.is_file():
            problems.append(f"{page.relative_to(site)}: {url} is not in the site")
            continue
        images.add(path)
        size = path.stat().st_size
        with Image.open(path) as opened:
            if (opened.format, opened.size) != ("PNG", (1200, 630)):
                problems.append(f"{path.relative_to(site)}: {opened.format} {opened.size}")
        if size > MAX_BYTES:
            problems.append(f"{path.relative_to(site)}: {size} bytes, over {MAX_BYTES}")
    assert not problems, "\n".join(problems)
    assert len(images) == len(pages(site)), "two pages share one image"


@pytest.mark.parametrize("page", ["topics/sextortion/index.html", "km/topics/sextortion/index.html",
                                  "index.html", "km/index.html"])
def test_the_image_shows_the_pages_title_in_its_language(site, page):
    """The file is the hook's drawing of this page's title (og:title), its
    site name and address: the drawing whose Khmer the shaping test checks."""
    tags = {name: values[0] for name, values in head_meta(site / page).tags.items()}
    lang = "km" if page.startswith("km/") else "en"
    if lang == "km":
        assert hook.KHMER_RUN.search(tags["og:title"]) and hook.KHMER_RUN.search(tags["og:site_name"])
    expected = hook.png_bytes(hook.draw_card(tags["og:title"], tags["og:site_name"], lang,
                                             urlsplit(tags["og:image"]).netloc))
    assert image_file(site, tags["og:image"]).read_bytes() == expected


def test_the_offline_kit_carries_no_share_images(kit):
    assert not (kit / "assets" / "share").exists()
    assert "og:image" not in (kit / "km" / "index.html").read_text(encoding="utf-8")


# ── Wrapping ────────────────────────────────────────────────────────────────

def test_long_titles_wrap_between_words_within_the_card():
    title = ("កូរ៉េខាងត្បូងចាប់ផ្តើមគម្រោងកសាងប្រព័ន្ធបញ្ញាសិប្បនិម្មិត "
             "ដើម្បីប្រឆាំងនឹងសម្ភារៈកេងប្រវ័ញ្ចផ្លូវភេទលើកុមារ")
    size, lines = hook.fit_title(title, "km")
    assert len(lines) > 1 and "".join(lines).replace(" ", "") == title.replace(" ", "")
    words = {word for run in title.split() for word in khmer_words(run)}
    for line in lines:
        assert hook.line_width(line, "km", size) <= hook.TEXT_RIGHT - hook.TEXT_LEFT
        # Each line starts and ends on a boundary of ICU's Khmer words.
        assert any(line.startswith(word) for word in words) and any(line.endswith(word) for word in words), line
    size, lines = hook.fit_title("Quizzes for young people: self-generated images and what to do", "en")
    assert len(lines) > 1 and all(not line.startswith(" ") and not line.endswith(" ") for line in lines)


# ── Khmer shaping, against Chromium ─────────────────────────────────────────

TEST_SIZE = 64


def ink(image: Image.Image) -> Image.Image:
    """The inked part (dark on white) of a rendering, cropped to its box."""
    grey = image.convert("L")
    box = grey.point(lambda v: 255 if v < 128 else 0).getbbox()
    assert box, "nothing was drawn"
    return grey.crop(box)


def pillow_rendering(text: str, engine: ImageFont.Layout) -> Image.Image:
    canvas = Image.new("L", (3200, 220), 255)
    hook.draw_line(ImageDraw.Draw(canvas), (20, 150), text, "km", TEST_SIZE, 0, engine)
    return ink(canvas)


def chromium_rendering(page, text: str) -> Image.Image:
    font = base64.b64encode(hook.KHMER_FONT.read_bytes()).decode()
    page.set_content(
        "<!doctype html><style>"
        f"@font-face{{font-family:K;font-weight:700;src:url(data:font/woff2;base64,{font}) format('woff2')}}"
        f"body{{margin:0;background:#fff}}span{{font:700 {TEST_SIZE}px/2.2 K;color:#000;white-space:pre;"
        "padding:20px;display:inline-block}</style>"
        f"<span lang='km'>{html.escape(text)}</span>")
    assert page.evaluate("document.fonts.ready.then(() => document.fonts.check('700 64px K', 'ក'))")
    return ink(Image.open(io.BytesIO(page.locator("span").screenshot())))


def inked(image: Image.Image) -> Image.Image:
    return image.point(lambda v: 255 if v < 128 else 0).convert("1")


def count(image: Image.Image) -> int:
    return image.convert("L").histogram()[255]


def likeness(reference: Image.Image, drawn: Image.Image) -> tuple[float, float, float]:
    """Width and height ratios of the ink, and the overlap (intersection over
    union) of the two inked areas once scaled to the same box."""
    a, b = inked(reference), inked(drawn.resize(reference.size))
    overlap = count(ImageChops.logical_and(a, b)) / count(ImageChops.logical_or(a, b))
    return drawn.width / reference.width, drawn.height / reference.height, overlap


def shaped_like(reference: Image.Image, drawn: Image.Image) -> bool:
    width, height, overlap = likeness(reference, drawn)
    return abs(width - 1) <= 0.03 and abs(height - 1) <= 0.05 and overlap >= 0.75


def test_khmer_in_share_images_is_shaped_as_chromium_shapes_it(site, new_context):
    page = new_context().new_page()
    titles = [head_meta(site / path).tags["og:title"][0] for path in SHAPED_PAGES]
    for title in titles:
        assert "\u17d2" in title or any("\u17be" <= c <= "\u17c5" for c in title), title
    results = []
    for title in titles:
        reference = chromium_rendering(page, title)
        shaped = pillow_rendering(title, ImageFont.Layout.RAQM)
        unshaped = pillow_rendering(title, ImageFont.Layout.BASIC)
        results.append((title, likeness(reference, shaped), likeness(reference, unshaped)))
        # The hook's drawing matches Chromium's...
        assert shaped_like(reference, shaped), results[-1]
        # ...and the negative control: unshaped Khmer fails the same check.
        assert not shaped_like(reference, unshaped), results[-1]

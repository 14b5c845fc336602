"""Material's interface is fully translated into Khmer: no key missing, and no
English interface text on a Khmer page."""

from __future__ import annotations

import re
from pathlib import Path

import material
import pytest
from bs4 import BeautifulSoup

from site_helpers import ROOT, built_html, nav_pages

MATERIAL_EN = Path(material.__file__).parent / "templates" / "partials" / "languages" / "en.html"
OUR_KM = ROOT / "overrides" / "partials" / "languages" / "km.html"
KEY = re.compile(r'^\s*"([\w.]+)":\s*"(.*)",?\s*$', re.M)

# Latin words allowed in a Khmer page's interface: names and keys a person types.
ALLOWED_LATIN = {
    "English", "IHC", "APLE", "Esc", "RSS", "INHOPE", "ICCAM", "NCMEC", "INTERPOL", "StopNCII", "Take", "It", "Down",
    # The apps and games the guides are about (resources/apps/), named as their makers name them.
    "Facebook", "Messenger", "TikTok", "Telegram", "YouTube", "Instagram", "WhatsApp", "Free", "Fire", "Mobile",
    "Legends", "Roblox",
}


def strings(path: Path) -> dict[str, str]:
    return dict(KEY.findall(path.read_text(encoding="utf-8")))


def test_every_material_key_is_translated_into_khmer():
    english, khmer = strings(MATERIAL_EN), strings(OUR_KM)
    assert len(english) > 50
    assert sorted(set(english) - set(khmer)) == []


def test_khmer_strings_are_khmer():
    # Configuration values, not words, may stay as they are.
    technical = {"language", "direction", "search.config.lang", "search.config.pipeline", "search.config.separator"}
    for key, value in strings(OUR_KM).items():
        if key in technical:
            continue
        assert re.search(r"[\u1780-\u17ff]", value), f"{key} is not translated: {value!r}"


def interface_text(html: str) -> list[str]:
    """Visible and assistive text of the page outside its article."""
    soup = BeautifulSoup(html, "html.parser")
    # The article and its table of contents are content (checked elsewhere).
    for node in soup.select("article, .md-nav--secondary .md-nav__list, script, style, svg, [lang=en], head"):
        node.decompose()
    texts = [soup.get_text(" ", strip=True)]
    for attribute in ("aria-label", "placeholder", "title", "alt"):
        texts += [tag[attribute] for tag in soup.find_all(attrs={attribute: True})]
    return texts


@pytest.mark.parametrize("path", nav_pages())
def test_no_english_interface_text_on_khmer_pages(site, path):
    html = built_html(site, path, "km").read_text(encoding="utf-8")
    words = set()
    for text in interface_text(html):
        words |= set(re.findall(r"[A-Za-z][A-Za-z'’-]+", text))
    assert words - ALLOWED_LATIN == set()


@pytest.mark.parametrize(("lang", "colon"), [("en", ": "), ("km", "៖ ")])
def test_previous_and_next_links_are_named_with_the_languages_colon(site, lang, colon):
    """ "Previous: Get help", "មុន៖ ស្វែងរកជំនួយ" (overrides/partials/footer.html)."""
    soup = BeautifulSoup(built_html(site, "faq.md", lang).read_text(encoding="utf-8"), "html.parser")
    names = [link["aria-label"] for link in soup.select("a.md-footer__link")]
    assert len(names) == 2 and all(colon in name for name in names), names
    if lang == "km":
        assert not [name for name in names if ":" in name]

"""Numbers on Khmer pages are written in Khmer digits (០-៩), in the content and
in the interface, with one thousands separator (CONTENT.md, "Khmer").

Western digits may stay only where a reader must see or type them as they
are: code (`<code>`, `<pre>`, `<kbd>`), link targets and image sources,
web and e-mail addresses written in the text, and the few names with digits
in digit_helpers.ALLOWED_NAMES.  Checked on every page under site/km/: its
title, the visible text of the content and of the interface (safety bar,
header, navigation, search, footer), and what is announced for it
(aria-label, title, placeholder, alt)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from digit_helpers import ALLOWED_NAMES, read_texts, western_digits


def khmer_pages(site: Path) -> list[Path]:
    pages = sorted((site / "km").rglob("*.html"))
    assert len(pages) > 40, "the Khmer site was not built"
    return pages


def test_the_check_finds_western_digits_and_lets_the_exceptions_through():
    html = ("<html><head><title>ទំព័រ 3</title></head><body><main><p>អ្នកតាមដាន 1.240 នាក់</p>"
            "<p>សរសេរមក <a href='https://example.org/2024/'>report@example.org</a> ឬ www.example.org/a1 "
            "ឬ iwf.org.uk/report2 ហើយ <code>1234 5678</code> <kbd>Ctrl</kbd>+<kbd>1</kbd></p>"
            "<img src='a1.png' alt='រូប 2'><a aria-label='មុន: ទំព័រ 4' href='#'>x</a></main>"
            "<script>var a = 1;</script></body></html>")
    found = western_digits(html)
    # The title, the image's description, the link's name and the text; nothing else.
    assert len(found) == 4, found
    for expected in ("ទំព័រ 3", "រូប 2", "ទំព័រ 4", "1.240"):
        assert [snippet for snippet in found if expected in snippet], (expected, found)


def test_no_western_digit_on_khmer_pages(site):
    failures = {}
    for path in khmer_pages(site):
        found = western_digits(path.read_text(encoding="utf-8"))
        if found:
            failures[str(path.relative_to(site))] = found
    assert not failures, "Western digits on Khmer pages:\n" + "\n".join(
        f"  {page}: " + " | ".join(repr(snippet) for snippet in snippets) for page, snippets in failures.items())


def test_every_allowed_name_is_still_needed(site):
    texts = " ".join(" ".join(read_texts(path.read_text(encoding="utf-8"))) for path in khmer_pages(site))
    assert [name for name in ALLOWED_NAMES if name not in texts] == []


THOUSANDS = re.compile(r"[០-៩]{1,3}(?:[ \u00a0\u202f,][០-៩]{3})+(?![០-៩])")
PHONE_OR_REFERENCE = re.compile(r"^០[០-៩]{2} [០-៩]{3} [០-៩]{3}$|^[០-៩]{4} [០-៩]{4}$")


@pytest.mark.parametrize("root", ["docs/km", "resources/packs"])
def test_khmer_thousands_are_grouped_with_a_dot(root):
    """CLDR's Khmer with Khmer digits: "." between thousands (១.២៤០), not a
    space or a comma.  Phone numbers (០៩២ ៣១១ ៥១១) and references
    (១២៣៤ ៥៦៧៨) are grouped for reading, with spaces, and stay so."""
    base = Path(__file__).resolve().parent.parent / root
    files = sorted(base.rglob("*.md")) if root == "docs/km" else sorted(base.glob("*/km.md"))
    wrong = [f"{path.relative_to(base)}: {match.group()}" for path in files
             for match in THOUSANDS.finditer(path.read_text(encoding="utf-8"))
             if not PHONE_OR_REFERENCE.match(match.group())]
    assert wrong == []

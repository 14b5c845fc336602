"""Splitting, checking and normalising pasted addresses."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from report_endpoint.urls import UrlError, normalise, parse_urls

VALID = [
    ("example.com", "http://example.com/"),
    ("https://example.com", "https://example.com/"),
    ("HTTPS://WWW.Example.COM/Path?q=1#top", "https://www.example.com/Path?q=1#top"),
    ("http://example.com:80/a", "http://example.com/a"),
    ("https://example.com:443/a", "https://example.com/a"),
    ("example.org:8080/gallery", "http://example.org:8080/gallery"),
    ("<https://example.org/x>", "https://example.org/x"),
    ("https://bücher.example/", "https://xn--bcher-kva.example/"),
    ("https://例え.example.test/パス", "https://xn--r8jz45g.example.test/%E3%83%91%E3%82%B9"),
    ("http://192.0.2.10/x", "http://192.0.2.10/x"),
    ("http://[2001:db8::1]/x", "http://[2001:db8::1]/x"),
    ("https://example.com/%7Euser", "https://example.com/%7Euser"),
    ("example.com.", "http://example.com/"),
]

INVALID = [
    ("javascript:alert(1)", "scheme_dangerous"),
    ("JavaScript:alert(1)", "scheme_dangerous"),
    ("data:text/html;base64,PHNjcmlwdD4=", "scheme_dangerous"),
    ("file:///etc/passwd", "scheme_dangerous"),
    ("vbscript:msgbox", "scheme_dangerous"),
    ("ftp://example.com/file", "scheme"),
    ("mailto:someone@example.com", "scheme"),
    ("http://user:secret@example.com/", "userinfo"),
    ("http://example.com@evil.test/", "userinfo"),
    ("http://256.0.0.1/", "host"),
    ("http://-example-.test/", "host"),
    ("http://localhost/", "host"),
    ("http://[not-ipv6]/", "invalid"),
    ("http://example.com:99999/", "invalid"),
    ("https://example.com/\u202ereversed", "characters"),
    ("https://exa\u200bmple.com/", "characters"),
    ("https://example.com/" + "a" * 2100, "too_long"),
]


@pytest.mark.parametrize(("text", "expected"), VALID)
def test_valid_addresses_are_normalised(text, expected):
    assert normalise(text) == expected


@pytest.mark.parametrize(("text", "code"), INVALID)
def test_invalid_addresses_are_refused_with_a_reason(text, code):
    with pytest.raises(UrlError) as refused:
        normalise(text)
    assert refused.value.code == code


@pytest.mark.parametrize("separator", ["\n", "\r\n", ",", " ", ", ", "\t", "\n\n"])
def test_addresses_are_split_on_new_lines_commas_and_spaces(separator):
    parsed = parse_urls(separator.join(["example.com/a", "example.org/b", "https://example.com/a"]))
    assert parsed.errors == []
    assert parsed.urls == ["http://example.com/a", "http://example.org/b", "https://example.com/a"]


def test_repeats_are_dropped_in_order():
    parsed = parse_urls("example.com\nEXAMPLE.com\nhttp://example.com/\nexample.org")
    assert parsed.urls == ["http://example.com/", "http://example.org/"]


@pytest.mark.parametrize(("count", "ok"), [(1, True), (19, True), (20, True), (21, False)])
def test_up_to_twenty_addresses(count, ok):
    parsed = parse_urls("\n".join(f"example.com/{i}" for i in range(count)))
    assert (parsed.errors == []) is ok
    assert len(parsed.urls) == count


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=300))
def test_no_text_makes_parsing_crash(text):
    parsed = parse_urls(text)
    for url in parsed.urls:
        assert url.startswith(("http://", "https://")) and url.isascii()
        assert normalise(url) == url  # normalising is stable


@settings(max_examples=300, deadline=None)
@given(st.from_regex(r"(https?://)?[a-z0-9-]{1,20}(\.[a-z0-9-]{1,10}){1,3}(:[0-9]{1,5})?(/[^\s,]{0,40})?", fullmatch=True))
def test_address_like_text_never_crashes(text):
    try:
        url = normalise(text)
    except UrlError:
        return
    assert url.startswith(("http://", "https://"))

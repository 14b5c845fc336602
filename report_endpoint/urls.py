"""Reported addresses: split, check and normalise what a person pasted.

Nothing here opens, fetches or resolves an address: it is text in, text out.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit, urlunsplit

import idna

SEPARATORS = re.compile(r"[\s,]+")
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
HAS_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")
ACCEPTED_SCHEMES = {"http", "https"}
# Schemes that carry content or run code rather than point to a place online.
DANGEROUS_SCHEMES = {"data", "javascript", "vbscript", "file", "blob", "filesystem", "about", "view-source"}
HOST_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
# Lowercase ASCII labels with no punycode ("xn--") and no "--" at positions 3-4.
PLAIN_HOST = re.compile(r"^(?:(?![a-z0-9]{2}--)[a-z0-9-]+\.)*(?![a-z0-9]{2}--)[a-z0-9-]+$")
TRIM = "<>\"'()[]{}“”‘’«»"
DEFAULT_PORTS = {"http": 80, "https": 443}


class UrlError(ValueError):
    """A pasted address that cannot be taken; code names the reason."""

    def __init__(self, code: str, text: str):
        super().__init__(code)
        self.code = code
        self.text = text


@dataclass
class ParsedUrls:
    urls: list[str] = field(default_factory=list)
    errors: list[UrlError] = field(default_factory=list)


def _host(raw: str) -> str:
    """The host in ASCII form (IDN to punycode), or UrlError."""
    if raw.startswith("[") and raw.endswith("]"):
        if "%" in raw:
            raise UrlError("host", raw)  # a zone ("%eth0") names a network card, not a place online
        try:
            return f"[{ipaddress.IPv6Address(raw[1:-1]).compressed}]"
        except ValueError:
            raise UrlError("host", raw) from None
    host = raw.rstrip(".").lower()
    if not host:
        raise UrlError("host", raw)
    try:
        return str(ipaddress.IPv4Address(host))
    except ValueError:
        pass
    if re.fullmatch(r"[0-9.]+", host):
        raise UrlError("host", raw)  # looks numeric but is not an IPv4 address
    if PLAIN_HOST.match(host):
        ascii_host = host  # already in its ASCII form: IDNA would change nothing
    else:
        try:
            ascii_host = idna.encode(host, uts46=True).decode("ascii")
        except (idna.IDNAError, UnicodeError):
            raise UrlError("host", raw) from None
    labels = ascii_host.split(".")
    if len(labels) < 2 or not all(HOST_LABEL.match(label) for label in labels):
        raise UrlError("host", raw)
    if len(ascii_host) > 253:
        raise UrlError("host", raw)
    return ascii_host


def normalise(text: str, max_length: int = 2048) -> str:
    """One pasted address as a normalised http(s) URL, or UrlError."""
    original = text
    text = text.strip().strip(TRIM)
    if not text:
        raise UrlError("empty", original)
    if CONTROL.search(text):
        raise UrlError("characters", original)
    if len(text) > max_length:
        raise UrlError("too_long", original)
    scheme = HAS_SCHEME.match(text)
    # "example.com:8080/x" is a host and port, not a scheme.
    if scheme and not re.match(r"^[^/:]+:\d+(/|$)", text):
        name = scheme.group(1).lower()
        if name in DANGEROUS_SCHEMES:
            raise UrlError("scheme_dangerous", original)
        if name not in ACCEPTED_SCHEMES or not text[len(name) + 1:].startswith("//"):
            raise UrlError("scheme", original)
    else:
        text = "http://" + text.lstrip("/")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise UrlError("invalid", original) from None
    if "@" in parts.netloc:
        raise UrlError("userinfo", original)
    if not parts.hostname:
        raise UrlError("host", original)
    netloc_host = parts.netloc.rsplit(":", 1)[0] if parts.port is not None else parts.netloc
    host = _host(netloc_host if netloc_host.startswith("[") else parts.hostname)
    scheme_name = parts.scheme.lower()
    netloc = host if port in (None, DEFAULT_PORTS[scheme_name]) else f"{host}:{port}"
    # Percent-encode what is not plain ASCII, keep what is already encoded.
    path = quote(parts.path or "/", safe="/%:@!$&'()*+,;=-._~")
    query = quote(parts.query, safe="=&%:@!$'()*+,;/?-._~")
    fragment = quote(parts.fragment, safe="=&%:@!$'()*+,;/?-._~")
    url = urlunsplit((scheme_name, netloc, path, query, fragment))
    if len(url) > max_length:
        raise UrlError("too_long", original)
    return url


def parse_urls(text: str, max_urls: int = 20, max_length: int = 2048) -> ParsedUrls:
    """Split pasted text into addresses (new lines, commas, spaces), normalise
    each, drop repeats, keep the order.  Errors are collected, not raised."""
    result = ParsedUrls()
    for token in SEPARATORS.split(text or ""):
        if not token.strip(TRIM):
            continue
        try:
            url = normalise(token, max_length)
        except UrlError as error:
            result.errors.append(error)
            continue
        if url not in result.urls:
            result.urls.append(url)
    if len(result.urls) > max_urls:
        result.errors.append(UrlError("too_many", str(len(result.urls))))
    return result

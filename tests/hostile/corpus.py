"""The hostile-input corpus: malformed and malicious submissions to the report
form, the status form and the JSON API.  Every case must be refused with a
4xx and a message in the visitor's language, and must store nothing.

Each case changes one thing in an otherwise valid submission, so the refusal
belongs to that one thing.  Reported addresses use reserved names only
(example.com, example.org, .test, .invalid); nothing is ever fetched."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from urllib.parse import quote, urlencode

FORM, STATUS_FORM, API_REPORT, API_STATUS = "form", "status_form", "api_report", "api_status"
PATHS = {FORM: "/report/", STATUS_FORM: "/report/status/", API_REPORT: "/api/v1/reports", API_STATUS: "/api/v1/status"}
JSON = "application/json"
URLENCODED = "application/x-www-form-urlencoded"

VALID_FORM = {"seen_on": "website", "urls": "https://example.com/ok", "anonymous": "y"}
VALID_API = {"seen_on": "website", "urls": ["https://example.com/ok"]}


@dataclass(frozen=True)
class Case:
    """One submission.  For the forms, `pairs` are the fields (the runner adds
    a valid CSRF token unless with_csrf is False) or `body` is sent as it is
    (with the token appended); for the API, `body` is sent as it is."""

    category: str
    name: str
    target: str
    pairs: tuple = ()
    body: bytes | None = None
    content_type: str | None = URLENCODED
    method: str = "POST"
    with_csrf: bool = True
    expected: frozenset = field(default_factory=lambda: frozenset({400}))


def form(category: str, label: str, target: str = FORM, expected=(400,), with_csrf=True, **changes) -> Case:
    """The valid form with some fields changed (a value of None removes the field)."""
    base = dict(VALID_FORM) if target == FORM else {"reference": "12345678"}
    base.update(changes)
    pairs = tuple((k, v) for k, v in base.items() if v is not None)
    return Case(category, label, target, pairs=pairs, expected=frozenset(expected), with_csrf=with_csrf)


def api(category: str, name: str, body, target: str = API_REPORT, content_type: str = JSON,
        expected=(400,)) -> Case:
    """An API request; body is an object to encode as JSON, or raw bytes/text."""
    if isinstance(body, (bytes, bytearray)):
        raw = bytes(body)
    elif isinstance(body, str):
        raw = body.encode()
    else:
        raw = json.dumps(body, ensure_ascii=False).encode()
    return Case(category, name, target, body=raw, content_type=content_type, expected=frozenset(expected))


def api_report(**changes) -> dict:
    body = dict(VALID_API)
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


# ── Addresses that are refused, whatever the field around them ─────────────

BAD_URLS = [
    # Schemes that carry code or content, or are not web pages.
    "javascript:alert(1)", "JaVaScRiPt:alert(document.cookie)", "javascript://example.com/%0Aalert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==", "data:image/png;base64,iVBORw0KGgo=",
    "file:///etc/passwd", "file://server.test/share/photo.jpg", "vbscript:msgbox(1)", "blob:https://example.com/0f3e",
    "about:blank", "view-source:https://example.com/", "ftp://files.example.com/x.zip", "mailto:abuse@example.com",
    "ssh://example.com", "gopher://example.com:70/1", "ws://example.com/socket", "chrome://settings",
    "filesystem:https://example.com/temporary/x", "tel:+85512345678", "intent://example.com#Intent;end",
    # No host, or not a host.
    "https://", "http:///path/only", "https://:443/", "http://./", "http://../", "https://?q=1", "https://#top",
    # User names and passwords in the address.
    "https://user:secret@example.com/", "https://user@example.com/path", "https://example.com@example.org/",
    "http://a:b@[2001:db8::1]/", "https://%40@example.com/", "https://name:@example.com/",
    # IPv6 written wrongly.
    "http://[::1::2]/", "http://[fe80::1%25eth0]/", "http://[12345::]/", "http://[::ffff:999.1.1.1]/",
    "http://[]/", "http://[2001:db8::1/", "http://[g::1]/", "http://[2001:db8:::1]/",
    # Numbers that look like addresses and are not.
    "http://999.999.999.999/", "http://1.2.3/", "http://1.2.3.4.5/", "http://256.1.1.1/", "http://01.02.03/",
    # Host names no one can register.
    "http://localhost/", "http://intranet/", "http://-example.test/", "http://example-.test/", "http://exa_mple.test/",
    "http://example..test/", "http://.example.test/", "http://" + "a" * 64 + ".example.com/",
    "http://" + ".".join(["abcdefghij"] * 24) + ".example.com/", "http://{{7*7}}.example.com/",
    "http://${jndi:ldap}.example.com/", "http://example.com'--/", "http://exa mple.com/".replace(" ", "%20"),
    "http://<script>.example.com/",
    # Internationalised names that are not valid IDNA.
    "http://xn--/", "http://xn--zz-.example.com/", "http://xn--a.example.com/", "http://ex\u2028ample.com/",
    "http://\u0627\u0644a1.example.com/", "http://\u00df\u0301\u0300.example.com/".replace("\u00df", ""),
    # Hidden characters: direction overrides and zero-width characters in the host.
    "http://\u202eexample.com/", "https://example.com\u202e/moc.elpmaxe", "http://exam\u200dple.com/",
    "http://exam\u200bple.com/", "http://example\ufeff.com/", "http://\u2066example.com\u2069/",
    # Control characters that are not spaces (spaces and tabs separate addresses).
    *[f"https://example.com/a{chr(c)}b" for c in (0x00, 0x01, 0x07, 0x08, 0x0e, 0x10, 0x1b, 0x7f, 0x80, 0x9b)],
    # Too long.
    "https://example.com/" + "a" * 2100,
]

# Characters that must not be in free text: C0 controls but tab and line
# breaks, DEL, C1 controls, and bidirectional embeddings, overrides, isolates.
HIDDEN_CHARACTERS = ([c for c in range(0x00, 0x20) if c not in (0x09, 0x0A, 0x0D)] + [0x7F]
                     + list(range(0x80, 0xA0)) + list(range(0x202A, 0x202F)) + list(range(0x2066, 0x206A)))

INJECTIONS = [
    "' OR '1'='1", "1; DROP TABLE reports; --", "12345678' --", "\" OR \"\"=\"", "1 UNION SELECT reference FROM reports",
    "{{7*7}}", "{{config}}", "${7*7}", "<%= 7*7 %>", "#{7*7}", "{% debug %}", "<script>alert(1)</script>",
    "\"><img src=x onerror=alert(1)>", "../../../../etc/passwd", "%00", "\\x00",
]

WRONG_SHAPES = [
    ("array", []), ("array of reports", [VALID_API]), ("string", "report"), ("number", 12345678), ("null", None),
    ("true", True), ("empty object", {}),
]


def cases() -> list[Case]:
    found: list[Case] = []
    add = found.append

    for url in BAD_URLS:
        add(form("address", f"form urls={url[:50]!r}", urls=url))
        add(api("address", f"api urls=[{url[:50]!r}]", api_report(urls=[url])))
    add(form("address", "21 addresses", urls="\n".join(f"https://example.com/{n}" for n in range(21))))
    add(api("address", "10,000 addresses", api_report(urls=[f"a{n}.test" for n in range(10_000)]),
            expected=(400, 413)))
    add(api("address", "empty list", api_report(urls=[])))
    add(api("address", "only spaces", api_report(urls=["   ", "\n"])))
    add(form("address", "CRLF header injection", urls="https://example.com/\r\nSet-Cookie: admin=1"))

    for code in HIDDEN_CHARACTERS:
        text = f"account name{chr(code)}here"
        if code % 2:
            add(form("hidden character", f"form description U+{code:04X}", description=text))
        else:
            add(api("hidden character", f"api description U+{code:04X}", api_report(description=text)))
    for code in (0x00, 0x0A, 0x0D, 0x1B, 0x202E):
        text = f"Dara{chr(code)}X-Injected: 1"
        add(form("hidden character", f"form name U+{code:04X}", anonymous=None, name=text))
        add(api("hidden character", f"api name U+{code:04X}",
                api_report(anonymous=False, contact={"name": text})))

    for text in INJECTIONS:
        add(form("injection", f"reference {text!r}", STATUS_FORM, reference=text))
        add(api("injection", f"api reference {text!r}", {"reference": text}, API_STATUS))
        add(form("injection", f"seen_on {text!r}", seen_on=text))
        add(api("injection", f"api phone {text!r}", api_report(anonymous=False, contact={"phone": text})))
    for text in ("\"{{7*7}}\"@", "<script>@", "a@b@", "x\r\nBcc: y@", "admin\x00@"):
        add(form("injection", f"email {text!r}", anonymous=None, email=text + "example.com"))

    for text in ("1234\r\nX-Injected: 1", "1234 5678\r\n\r\nGET / HTTP/1.1", "%0d%0a12345678"):
        add(form("CRLF", f"reference {text!r}", STATUS_FORM, reference=text))
        add(api("CRLF", f"api reference {text!r}", {"reference": text}, API_STATUS))
    add(form("CRLF", "seen_on with CRLF", seen_on="website\r\nX-Injected: 1"))
    add(form("CRLF", "phone with CRLF", anonymous=None, phone="012 345 678\r\n999"))

    big = "a" * 70_000
    add(form("oversized", "description over the limit", description="a" * 2001))
    add(api("oversized", "api description over the limit", api_report(description="a" * 2001)))
    add(form("oversized", "name over the limit", anonymous=None, name="n" * 201))
    add(api("oversized", "api email over the limit",
            api_report(anonymous=False, contact={"email": "e" * 200 + "@example.com"})))
    add(form("oversized", "70 KB body", description=big, expected=(413,)))
    add(api("oversized", "70 KB JSON", api_report(description=big), expected=(413,)))
    add(api("oversized", "70 KB status JSON", {"reference": "1" * 70_000}, API_STATUS, expected=(413,)))
    add(form("oversized", "70 KB reference", STATUS_FORM, reference="1" * 70_000, expected=(413,)))
    add(api("oversized", "reference of 10,000 digits", {"reference": "9" * 10_000}, API_STATUS))
    add(Case("oversized", "urls repeated 3,000 times", FORM,
             pairs=(("seen_on", "website"),) + (("urls", "example.com/x"),) * 3000))
    add(api("oversized", "JSON nested 30,000 deep", "[" * 30_000 + "]" * 30_000))
    add(api("oversized", "JSON nested 50,000 deep (over 64 KiB)", "[" * 50_000 + "]" * 50_000, expected=(413,)))
    add(api("oversized", "object nested 5,000 deep", '{"a":' * 5_000 + "1" + "}" * 5_000))

    for name, raw in [("percent-encoded 0xFF in urls", b"seen_on=website&urls=https%3A%2F%2Fexample.com%2F%FF"),
                      ("raw 0xFF byte in urls", b"seen_on=website&urls=https://example.com/\xff"),
                      ("overlong slash", b"seen_on=website&urls=https://example.com/%C0%AF"),
                      ("lone surrogate", b"seen_on=website&urls=https://example.com/%ED%A0%80"),
                      ("truncated sequence", b"seen_on=website&urls=https://example.com/&description=%E1%9E"),
                      ("0xFF in a field name", b"seen_on=website&urls=https://example.com/&%FF=1"),
                      ("Latin-1 description", b"seen_on=website&urls=https://example.com/&description=caf%E9")]:
        add(Case("invalid UTF-8", f"form {name}", FORM, body=raw))
    add(Case("invalid UTF-8", "status form 0xFE", STATUS_FORM, body=b"reference=1234%FE5678"))
    for name, raw in [("0xFF in JSON", b'{"seen_on": "website", "urls": ["https://example.com/\xff"]}'),
                      ("overlong in JSON", b'{"seen_on": "website", "urls": ["https://example.com/\xc0\xaf"]}'),
                      ("UTF-16 JSON", json.dumps(VALID_API).encode("utf-16")),
                      ("UTF-32 JSON", json.dumps(VALID_API).encode("utf-32")),
                      ("UTF-8 with a byte order mark", b"\xef\xbb\xbf" + json.dumps(VALID_API).encode()),
                      ("Latin-1 JSON", '{"seen_on": "website", "urls": ["https://example.com/"], "description": "café"}'
                       .encode("latin-1"))]:
        add(api("invalid UTF-8", f"api {name}", raw))
    add(api("invalid UTF-8", "status 0xFF", b'{"reference": "1234\xff5678"}', API_STATUS))

    for target in (FORM, STATUS_FORM, API_REPORT, API_STATUS):
        good = urlencode(VALID_FORM if target == FORM else {"reference": "12345678"}).encode()
        for content_type, body in [("text/plain", good), ("application/xml", b"<report><urls>example.com</urls></report>"),
                                   ("text/html", b"<form></form>"), ("application/octet-stream", b"\x00\x01"),
                                   ("image/jpeg", b"\xff\xd8\xff\xe0"), ("application/jsonx", b"{}"),
                                   ("text/json", json.dumps(VALID_API).encode())]:
            add(Case("content type", f"{target} as {content_type}", target, body=body, content_type=content_type,
                     with_csrf=False, expected=frozenset({415})))
        add(Case("content type", f"{target} with no content type", target, body=good, content_type=None,
                 with_csrf=False, expected=frozenset({415})))
        boundary = "----hostile"
        multipart = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"urls\"\r\n\r\nexample.com\r\n"
                     f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"photo.jpg\"\r\n"
                     f"Content-Type: image/jpeg\r\n\r\n").encode() + b"\xff\xd8\xff\xe0" * 16 + f"\r\n--{boundary}--\r\n".encode()
        add(Case("multipart", f"{target} with a file part", target, body=multipart,
                 content_type=f"multipart/form-data; boundary={boundary}", expected=frozenset({415})))
        add(Case("multipart", f"{target} multipart, no file", target,
                 body=f"--{boundary}\r\nContent-Disposition: form-data; name=\"urls\"\r\n\r\nexample.com\r\n--{boundary}--\r\n".encode(),
                 content_type=f"multipart/form-data; boundary={boundary}", expected=frozenset({415})))
        add(Case("multipart", f"{target} multipart, broken", target, body=b"--x\r\n\r\n",
                 content_type="multipart/form-data; boundary=x", expected=frozenset({415})))
        for method in ("PUT", "PATCH", "DELETE"):
            add(Case("method", f"{method} {target}", target, body=good, method=method, with_csrf=False,
                     expected=frozenset({405})))
    add(Case("content type", "JSON to the HTML form", FORM, body=json.dumps(VALID_API).encode(),
             content_type=JSON, with_csrf=False))
    add(api("content type", "form body to the API", urlencode(VALID_FORM), content_type=URLENCODED, expected=(415,)))

    for name, body in WRONG_SHAPES:
        add(api("JSON shape", f"report body is {name}", body))
        add(api("JSON shape", f"status body is {name}", body, API_STATUS))
    for name, changes in [
        ("urls a number", {"urls": 123}), ("urls an object", {"urls": {"0": "example.com"}}),
        ("urls list of numbers", {"urls": [1, 2]}), ("urls list with null", {"urls": [None]}),
        ("urls nested lists", {"urls": [["https://example.com/"]]}), ("urls true", {"urls": True}),
        ("seen_on a number", {"seen_on": 1}), ("seen_on a list", {"seen_on": ["website"]}),
        ("seen_on an object", {"seen_on": {"website": True}}), ("seen_on null", {"seen_on": None}),
        ("seen_on unknown", {"seen_on": "darkweb"}), ("seen_on upper case", {"seen_on": "WEBSITE"}),
        ("anonymous a string", {"anonymous": "yes"}), ("anonymous a number", {"anonymous": 1}),
        ("danger a string", {"danger": "true"}), ("contact a list", {"anonymous": False, "contact": ["Dara"]}),
        ("contact with a number", {"anonymous": False, "contact": {"phone": 12345678}}),
        ("contact unknown key", {"anonymous": False, "contact": {"address": "Phnom Penh"}}),
        ("description a number", {"description": 5}), ("description a list", {"description": ["a"]}),
        ("lang a number", {"lang": 5}),
        ("unknown field reference", {"reference": "12345678"}), ("unknown field stage", {"stage": "removed"}),
        ("unknown field id", {"id": 1}), ("unknown field __proto__", {"__proto__": {"admin": True}}),
        ("unknown field constructor", {"constructor": {"prototype": {}}}), ("missing urls", {"urls": None}),
        ("missing seen_on", {"seen_on": None}),
    ]:
        add(api("JSON shape", name, api_report(**changes)))
    for name, body in [("reference a number", {"reference": 12345678}), ("reference null", {"reference": None}),
                       ("reference a list", {"reference": ["12345678"]}), ("reference empty", {"reference": ""}),
                       ("reference 7 digits", {"reference": "1234567"}), ("reference 9 digits", {"reference": "123456789"}),
                       ("reference letters", {"reference": "ABCDEFGH"}), ("reference Arabic-Indic digits",
                                                                         {"reference": "١٢٣٤٥٦٧٨"}),
                       ("reference full-width digits", {"reference": "１２３４５６７８"}),
                       ("missing reference", {}), ("extra field", {"reference": "12345678", "admin": True})]:
        add(api("JSON shape", name, body, API_STATUS))

    for name, raw in [("1e400", '{"seen_on": "website", "urls": ["example.com"], "description": 1e400}'),
                      ("-1e400", '{"seen_on": -1e400, "urls": ["example.com"]}'),
                      ("NaN", '{"seen_on": "website", "urls": ["example.com"], "danger": NaN}'),
                      ("Infinity", '{"seen_on": "website", "urls": ["example.com"], "anonymous": Infinity}'),
                      ("-Infinity", '{"reference": -Infinity}'),
                      ("5,000-digit integer", '{"seen_on": "website", "urls": ' + "9" * 5000 + "}"),
                      ("2**64", '{"seen_on": "website", "urls": ["example.com"], "danger": 18446744073709551616}')]:
        add(api("huge number", f"report {name}", raw))
    add(api("huge number", "status reference 1e400", '{"reference": 1e400}', API_STATUS))
    add(api("huge number", "status reference 10**30", '{"reference": 1000000000000000000000000000000}', API_STATUS))
    for text in ("1e999999", "9" * 5000, "-0", "0x7fffffff", "99999999999999999999999999"):
        add(form("huge number", f"reference {text[:12]} ({len(text)} characters)", STATUS_FORM, reference=text))
        add(form("huge number", f"urls {text[:12]} ({len(text)} characters)", urls=text))

    add(form("missing", "no CSRF token", with_csrf=False))
    add(form("missing", "no CSRF token on the status form", STATUS_FORM, with_csrf=False))
    add(form("missing", "no seen_on", seen_on=None))
    add(form("missing", "no urls", urls=None))
    add(form("missing", "empty urls", urls=""))
    add(form("missing", "no reference", STATUS_FORM, reference=None))
    add(Case("missing", "empty form body", FORM, body=b""))
    add(Case("missing", "empty status form body", STATUS_FORM, body=b""))
    add(api("missing", "empty JSON body", b""))
    add(api("missing", "empty status JSON body", b"", API_STATUS))
    for name, pairs in [("urls twice", (("seen_on", "website"), ("urls", "example.com/a"), ("urls", "javascript:x"))),
                        ("seen_on twice", (("seen_on", "website"), ("seen_on", "chat"), ("urls", "example.com/a"))),
                        ("anonymous twice", (("seen_on", "website"), ("urls", "example.com/a"), ("anonymous", "y"),
                                             ("anonymous", ""))),
                        ("description twice", (("seen_on", "website"), ("urls", "example.com/a"),
                                               ("description", "a"), ("description", "b")))]:
        add(Case("duplicated", f"form {name}", FORM, pairs=pairs))
    add(Case("duplicated", "status form reference twice", STATUS_FORM,
             pairs=(("reference", "12345678"), ("reference", "87654321"))))
    add(Case("duplicated", "CSRF token twice", FORM, pairs=(("seen_on", "website"), ("urls", "example.com/a"),
                                                          ("csrf_token", "forged"))))
    for name, raw in [("urls twice", '{"seen_on": "website", "urls": ["example.com/a"], "urls": ["example.com/b"]}'),
                      ("seen_on twice", '{"seen_on": "website", "seen_on": "chat", "urls": ["example.com/a"]}'),
                      ("anonymous twice", '{"seen_on": "website", "urls": ["example.com/a"], "anonymous": true, '
                                          '"anonymous": false}')]:
        add(api("duplicated", f"api {name}", raw))
    add(api("duplicated", "status reference twice", '{"reference": "12345678", "reference": "87654321"}', API_STATUS))
    return found


def encoded_form(case: Case, token: str | None) -> bytes:
    """The body a browser would send for a form case, with the CSRF token."""
    if case.body is not None:
        body = case.body
        if token and case.with_csrf:
            body += (b"&" if body else b"") + b"csrf_token=" + quote(token).encode()
        return body
    pairs = list(case.pairs)
    if token and case.with_csrf:
        pairs.append(("csrf_token", token))
    return urlencode(pairs).encode()

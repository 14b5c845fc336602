"""Packs for the hotline's partners only (front matter `restricted: true`):
the build puts their PDFs in restricted/ beside the site, never in site/
and never in the offline kit; the library lists them, marked with a lock,
without a link to the file (tests/test_resources.py checks the listing)."""

from __future__ import annotations

import zipfile

from resources.packs import LANGUAGES, load_packs

RESTRICTED = [p for p in load_packs() if p.restricted]


def test_there_are_restricted_packs_with_real_content():
    assert {"offender-tactics-briefing", "takedown-guide"} <= {p.id for p in RESTRICTED}
    for pack in RESTRICTED:
        for lang in LANGUAGES:
            assert pack.body[lang].count("\n## ") >= 5 and len(pack.body[lang]) > 8000, (pack.id, lang)


def test_restricted_pdfs_are_beside_the_site_not_in_it(site):
    files = [p for p in site.rglob("*") if p.is_file()]
    for pack in RESTRICTED:
        assert not [p for p in files if pack.id in p.name], pack.id
        for lang in LANGUAGES:
            built = site.parent / "restricted" / pack.id / f"{pack.id}-{lang}.pdf"
            assert built.is_file() and built.read_bytes().startswith(b"%PDF-")
    for page in (p for p in files if p.suffix in (".html", ".json", ".xml", ".js")):
        text = page.read_text(encoding="utf-8", errors="replace")
        for pack in RESTRICTED:
            assert f"{pack.id}-en.pdf" not in text and f"{pack.id}-km.pdf" not in text, (page, pack.id)


def test_restricted_pdfs_are_not_in_the_offline_kit(site):
    with zipfile.ZipFile(site / "downloads" / "ihc-offline-kit.zip") as kit:
        names = kit.namelist()
    assert any(name.endswith(".pdf") for name in names)
    for pack in RESTRICTED:
        assert not [name for name in names if pack.id in name], pack.id

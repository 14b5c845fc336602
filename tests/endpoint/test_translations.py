"""Every message of the endpoint exists in Khmer, and pages say which
language they are in."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

PACKAGE = Path(__file__).resolve().parents[2] / "report_endpoint"
CATALOG = PACKAGE / "translations" / "km" / "LC_MESSAGES" / "messages.po"


def test_every_message_in_the_code_is_in_the_khmer_catalog(tmp_path):
    template = tmp_path / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg",
                    "-k", "_l", "-k", "lazy_gettext", "-k", "N_", "-o", str(template), "--no-location", "."],
                   cwd=PACKAGE, check=True, capture_output=True)
    with template.open("rb") as handle:
        wanted = {m.id for m in read_po(handle) if m.id}
    with CATALOG.open("rb") as handle:
        catalog = read_po(handle, locale="km")
    translated = {m.id for m in catalog if m.id and m.string and not m.fuzzy}
    assert sorted(wanted - translated) == []


def test_khmer_translations_keep_their_placeholders():
    import re
    with CATALOG.open("rb") as handle:
        for message in read_po(handle, locale="km"):
            if message.id:
                assert sorted(re.findall(r"%\(\w+\)s", message.id)) == sorted(re.findall(r"%\(\w+\)s", message.string)), message.id


def test_html_lang_per_language(client):
    from conftest import HTTPS
    assert '<html lang="en"' in client.get("/report/", base_url=HTTPS).text
    assert '<html lang="km"' in client.get("/km/report/", base_url=HTTPS).text
    assert '<html lang="km"' in client.get("/km/report/status/", base_url=HTTPS).text

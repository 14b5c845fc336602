"""Rebuilding only what changed (resources/build.py, resources/build_inputs.py):
a second `make serve` with nothing changed must not spend half a minute
building the same site again, and a change, however small, must never be
missed."""

from __future__ import annotations

import json
import os

import pytest

from resources import build, build_inputs, catalog, pdfs, posters
from resources.packs import load_packs


@pytest.fixture
def stamps(tmp_path, monkeypatch):
    monkeypatch.setattr(build, "STAMPS", tmp_path / "stamps")
    return tmp_path / "stamps"


def output_folder(tmp_path):
    site = tmp_path / "site"
    (site / "km").mkdir(parents=True)
    (site / "index.html").write_text("<h1>Home</h1>")
    (site / "km" / "index.html").write_text("<h1>ទំព័រដើម</h1>")
    return site


class Maker:
    def __init__(self, output):
        self.output, self.calls = output, 0

    def __call__(self):
        self.calls += 1
        (self.output / "index.html").write_text(f"<h1>Home, build {self.calls}</h1>")


def test_a_build_with_nothing_changed_is_skipped(tmp_path, stamps):
    site = output_folder(tmp_path)
    make = Maker(site)
    build.built(site, "key 1", make, force=False, name="The site")
    build.built(site, "key 1", make, force=False, name="The site")
    assert make.calls == 1


@pytest.mark.parametrize("change", ["new key", "file edited", "file removed", "file added", "folder removed"])
def test_any_change_in_inputs_or_output_builds_again(tmp_path, stamps, change):
    site = output_folder(tmp_path)
    make = Maker(site)
    build.built(site, "key 1", make, force=False, name="The site")
    key = "key 1"
    if change == "new key":
        key = "key 2"
    elif change == "file edited":
        page = site / "km" / "index.html"
        page.write_text("<h1>edited</h1>")
        os.utime(page, ns=(0, 0))
    elif change == "file removed":
        (site / "km" / "index.html").unlink()
    elif change == "file added":
        (site / "stray.html").write_text("?")
    elif change == "folder removed":
        for path in sorted(site.rglob("*"), reverse=True):
            path.rmdir() if path.is_dir() else path.unlink()
        site.rmdir()
        site.mkdir()
    build.built(site, key, make, force=False, name="The site")
    assert make.calls == 2


def test_force_builds_even_when_nothing_changed(tmp_path, stamps):
    site = output_folder(tmp_path)
    make = Maker(site)
    build.built(site, "key 1", make, force=False, name="The site")
    build.built(site, "key 1", make, force=True, name="The site")
    assert make.calls == 2


def test_a_build_that_fails_half_way_is_done_again(tmp_path, stamps):
    site = output_folder(tmp_path)
    make = Maker(site)
    build.built(site, "key 1", make, force=False, name="The site")

    def broken():
        (site / "index.html").write_text("half")
        raise SystemExit(1)

    with pytest.raises(SystemExit):
        build.built(site, "key 2", broken, force=False, name="The site")
    # Even with the first key back, the half-written output is not trusted.
    build.built(site, "key 1", make, force=False, name="The site")
    assert make.calls == 2


def test_stamps_of_outputs_that_are_gone_are_dropped(tmp_path, stamps):
    site = output_folder(tmp_path)
    build.built(site, "key", Maker(site), force=False, name="The site")
    assert len(list(stamps.glob("*.json"))) == 1
    for path in sorted(site.rglob("*"), reverse=True):
        path.rmdir() if path.is_dir() else path.unlink()
    site.rmdir()
    build.Stamp.prune()
    assert not list(stamps.glob("*.json"))


def test_the_inputs_key_follows_every_source_file(tmp_path, monkeypatch):
    for name in ("docs/en", "docs/km", "overrides/partials", "resources/packs/a"):
        (tmp_path / name).mkdir(parents=True)
    (tmp_path / "docs/en/index.md").write_text("# Home")
    (tmp_path / "overrides/partials/header.html").write_text("<header>")
    (tmp_path / "resources/packs/a/en.md").write_text("---\n---\n")
    (tmp_path / "mkdocs.yml").write_text("site_name: x\n")
    monkeypatch.setattr(build, "ROOT", tmp_path)
    seen = {build.inputs_key()}
    for path, text in (("docs/en/index.md", "# Home!"), ("overrides/partials/header.html", "<header >"),
                       ("resources/packs/a/en.md", "---\nid: a\n---\n"), ("mkdocs.yml", "site_name: y\n"),
                       ("docs/km/index.md", "# ទំព័រដើម")):
        (tmp_path / path).write_text(text)
        seen.add(build.inputs_key())
    (tmp_path / "docs/km/index.md").rename(tmp_path / "docs/km/home.md")  # a page renamed
    seen.add(build.inputs_key())
    assert len(seen) == 7


def test_the_tools_versions_are_part_of_every_key():
    versions = build_inputs.versions()
    for name in ("mkdocs==", "mkdocs-material==", "mkdocs-static-i18n==", "weasyprint==", "icukit-pyicu=="):
        assert name in versions
    assert "absent" not in versions


def test_a_pack_key_follows_its_text_its_metadata_and_its_labels():
    pack = load_packs()[0]
    labels = {dim: {value: text["en"] for value, text in values.items()} for dim, values in catalog.labels().items()}
    first = pdfs.fingerprint(pack, "en", labels)
    assert pdfs.fingerprint(pack, "en", labels) == first
    assert pdfs.fingerprint(pack, "km", labels) != first
    pack.title["km"] += "។"                 # the other language's text (the layout comes from en.md)
    second = pdfs.fingerprint(pack, "en", labels)
    pack.audience = list(reversed(pack.audience)) + ["children"]
    third = pdfs.fingerprint(pack, "en", labels)
    labels["audience"] = {**labels["audience"], pack.audience[0]: "Someone else"}
    fourth = pdfs.fingerprint(pack, "en", labels)
    assert len({first, second, third, fourth}) == 4


def test_a_poster_key_follows_its_words():
    poster = posters.load_posters()[0]
    first = {(lang, size): posters.fingerprint(poster, lang, size) for lang in ("en", "km") for size in posters.SIZES}
    assert len(set(first.values())) == 4
    poster.text["km"]["lines"][0] += "!"
    assert posters.fingerprint(poster, "km", "a4") != first[("km", "a4")]


def test_the_a3_poster_is_the_a4_page_enlarged(tmp_path):
    import pdfplumber

    poster = posters.load_posters()[0]
    a4 = posters.build(poster, "km", "a4", cache=tmp_path)
    a3 = posters.build(poster, "km", "a3", cache=tmp_path)
    assert json.loads(a3.path.with_suffix(".json").read_text())["pages"] == 1
    with pdfplumber.open(a4.path) as small, pdfplumber.open(a3.path) as large:
        assert (round(large.pages[0].width), round(large.pages[0].height)) == (842, 1191)   # A3, in pt
        words_small = [(c["text"], c["x0"] * 2 ** 0.5, c["top"] * 2 ** 0.5, c["size"] * 2 ** 0.5)
                       for c in small.pages[0].chars]
        words_large = [(c["text"], c["x0"], c["top"], c["size"]) for c in large.pages[0].chars]
    assert len(words_small) == len(words_large) > 50
    for (text, x, y, size), (text2, x2, y2, size2) in zip(words_small, words_large):
        assert text == text2 and abs(x - x2) < 0.5 and abs(y - y2) < 0.5 and abs(size - size2) < 0.1


def test_the_site_is_built_again_when_what_it_writes_beside_it_is_gone(tmp_path, stamps):
    site = output_folder(tmp_path)
    restricted = tmp_path / "restricted"
    make = Maker(site)

    def make_both():
        make()
        restricted.mkdir(exist_ok=True)
        (restricted / "pack-en.pdf").write_bytes(b"%PDF-")

    build.built(site, "key", make_both, False, "The site", restricted)
    build.built(site, "key", make_both, False, "The site", restricted)
    assert make.calls == 1
    (restricted / "pack-en.pdf").unlink()
    build.built(site, "key", make_both, False, "The site", restricted)
    assert make.calls == 2 and (restricted / "pack-en.pdf").is_file()

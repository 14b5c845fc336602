"""The catalog: every learning resource the library lists, described once.

A resource is a training pack (resources/packs/<id>/, downloaded as PDFs) or
a page of the site (resources/pages.yml).  Each has an audience, age bands,
topics, material types, languages and the date it was last reviewed; titles
and summaries come from the resource itself, in each language."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .packs import AGE_BANDS, AUDIENCES, LANGUAGES, TOPICS, TYPES, PackError, check_values, load_packs, \
    split_front_matter

HERE = Path(__file__).resolve().parent
DOCS = HERE.parent / "docs"
H1 = re.compile(r"^#\s+(.+?)\s*(\{#[^}]*\})?\s*$", re.M)
DIMENSIONS = {"audience": AUDIENCES, "age_bands": AGE_BANDS, "topics": TOPICS, "types": TYPES}


@dataclass
class Resource:
    id: str
    kind: str                      # "pack" (PDF downloads), "page" (a page of this site) or "poster"
    audience: list[str]
    age_bands: list[str]
    topics: list[str]
    types: list[str]
    reviewed: dt.date
    languages: list[str] = field(default_factory=lambda: list(LANGUAGES))
    title: dict[str, str] = field(default_factory=dict)
    summary: dict[str, str] = field(default_factory=dict)
    page: str | None = None        # for pages: the source path under docs/<lang>/
    pack: object = None            # for packs: the Pack
    poster: object = None          # for posters (resources/posters/): the Poster; page is its own page
    restricted: bool = False       # a pack for partners only: listed, never linked (packs.Pack.restricted)


def labels() -> dict[str, dict[str, dict[str, str]]]:
    """labels[dimension][value][lang], from resources/labels.yml."""
    return yaml.safe_load((HERE / "labels.yml").read_text(encoding="utf-8"))


def page_resource(entry: dict) -> Resource:
    path = entry["page"]
    titles, summaries, reviewed = {}, {}, None
    for lang in LANGUAGES:
        source = DOCS / lang / path
        meta, body = split_front_matter(source.read_text(encoding="utf-8"))
        title = H1.search(body)
        if not title or not meta.get("description") or not isinstance(meta.get("reviewed"), dt.date):
            raise PackError(f"docs/{lang}/{path}: a resource page needs an H1, a description and reviewed:")
        titles[lang], summaries[lang] = title.group(1).strip(), meta["description"].strip()
        reviewed = min(reviewed or meta["reviewed"], meta["reviewed"])
    name = Path(path).with_suffix("").as_posix().replace("/", "-")
    return Resource(id=f"page-{name}", kind="page", page=path, reviewed=reviewed, title=titles,
                    summary=summaries, **{key: check_values(path, key, entry.get(key), allowed)
                                          for key, allowed in DIMENSIONS.items()})


def load() -> list[Resource]:
    """Every resource: the packs, then the pages, each group in a stable order."""
    found = [Resource(id=pack.id, kind="pack", pack=pack, reviewed=pack.reviewed, title=pack.title,
                      summary=pack.summary, audience=pack.audience, age_bands=pack.age_bands,
                      topics=pack.topics, types=pack.types, restricted=pack.restricted)
             for pack in load_packs()]
    entries = yaml.safe_load((HERE / "pages.yml").read_text(encoding="utf-8")) or []
    found += [page_resource(entry) for entry in entries]
    from . import posters  # one page-size PDF per language and size, with its own page (resources/posters/)
    found += [Resource(id=f"poster-{p.id}", kind="poster", poster=p, page=p.page, reviewed=p.reviewed,
                       title={lang: p.text[lang]["title"] for lang in LANGUAGES},
                       summary={lang: p.text[lang]["summary"] for lang in LANGUAGES},
                       audience=p.audience, age_bands=p.age_bands, topics=p.topics, types=["poster"])
              for p in posters.load_posters()]
    return found

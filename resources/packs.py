"""The training packs: each is resources/packs/<id>/en.md and km.md, with its
metadata (audience, age bands, topics, types, date reviewed) in the front
matter, written once and the same in both languages."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import yaml

PACKS = Path(__file__).with_name("packs")
LANGUAGES = ("en", "km")

AUDIENCES = ("children", "young-people", "parents", "professionals", "schools", "public-media")
AGE_BANDS = ("3-5", "6-8", "9-11", "12-14", "15-17", "adults")
TOPICS = ("online-safety", "privacy", "cyberbullying", "grooming", "sextortion", "self-generated-images", "scams",
          "gaming-livestreams", "ai-deepfakes", "csam-and-reporting", "safeguarding")
TYPES = ("lesson plan", "slide outline", "activity sheet", "poster", "guide", "checklist", "conversation cards",
         "family agreement", "policy template", "training module", "app guide")


class PackError(ValueError):
    """A pack whose sources or metadata break the rules above."""


@dataclass
class Pack:
    id: str
    audience: list[str]
    age_bands: list[str]
    topics: list[str]
    types: list[str]
    reviewed: dt.date
    title: dict[str, str] = field(default_factory=dict)     # per language
    summary: dict[str, str] = field(default_factory=dict)
    body: dict[str, str] = field(default_factory=dict)      # Markdown after the front matter
    source: dict[str, Path] = field(default_factory=dict)
    # For the hotline's partners only: its PDFs go to restricted/ beside the
    # site, never into site/ or the offline kit (overrides/hooks/resource_library.py).
    restricted: bool = False


def split_front_matter(text: str) -> tuple[dict, str]:
    if not text.startswith("---\n"):
        raise PackError("no front matter")
    head, _, body = text[4:].partition("\n---\n")
    return yaml.safe_load(head) or {}, body


def check_values(pack_id: str, name: str, values, allowed) -> list[str]:
    if not isinstance(values, list) or not values:
        raise PackError(f"{pack_id}: {name} must be a non-empty list")
    wrong = [v for v in values if str(v) not in allowed]
    if wrong:
        raise PackError(f"{pack_id}: unknown {name} {wrong}; allowed: {allowed}")
    return [str(v) for v in values]


def load_pack(folder: Path) -> Pack:
    metas = {}
    pack = None
    for lang in LANGUAGES:
        path = folder / f"{lang}.md"
        if not path.is_file():
            raise PackError(f"{folder.name}: {lang}.md is missing")
        meta, body = split_front_matter(path.read_text(encoding="utf-8"))
        metas[lang] = meta
        if pack is None:
            if meta.get("id") != folder.name:
                raise PackError(f"{folder.name}: id must be the folder's name")
            reviewed = meta.get("reviewed")
            if not isinstance(reviewed, dt.date):
                raise PackError(f"{folder.name}: reviewed must be a date (YYYY-MM-DD)")
            if not isinstance(meta.get("restricted", False), bool):
                raise PackError(f"{folder.name}: restricted must be true or false")
            pack = Pack(id=folder.name, reviewed=reviewed, restricted=meta.get("restricted", False),
                        audience=check_values(folder.name, "audience", meta.get("audience"), AUDIENCES),
                        age_bands=check_values(folder.name, "age_bands", meta.get("age_bands"), AGE_BANDS),
                        topics=check_values(folder.name, "topics", meta.get("topics"), TOPICS),
                        types=check_values(folder.name, "types", meta.get("types"), TYPES))
        for key in ("title", "summary"):
            if not isinstance(meta.get(key), str) or not meta[key].strip():
                raise PackError(f"{folder.name}/{lang}.md: {key} is missing")
            getattr(pack, key)[lang] = meta[key].strip()
        pack.body[lang], pack.source[lang] = body, path
    shared = ("id", "audience", "age_bands", "topics", "types", "reviewed", "restricted")
    if any(metas["en"].get(key) != metas["km"].get(key) for key in shared):
        raise PackError(f"{folder.name}: {', '.join(shared)} must be the same in en.md and km.md")
    return pack


def load_packs(root: Path = PACKS) -> list[Pack]:
    """Every pack, in a stable order (by id)."""
    if not root.is_dir():
        return []
    return [load_pack(folder) for folder in sorted(root.iterdir()) if folder.is_dir()]

"""What a built file is made from, as a short hash: the cache keys of the
packs' PDFs and the posters, and the stamps that let resources/build.py skip
the offline kit and the site when nothing they are made from has changed.

A key is computed from the inputs (source files, the code that turns them
into output, the tools' versions), never from the output: an unchanged
PDF is then found without first rendering its HTML, and an unchanged site
without building it.  Like make, but with content hashes instead of times,
so a checkout, a touch or a copy does not force a rebuild."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The distributions whose output ends up in a built file.  A new version of
# any of them changes every key.
TOOLS = ("mkdocs", "mkdocs-material", "mkdocs-static-i18n", "Markdown", "pymdown-extensions", "weasyprint",
         "icukit-pyicu", "segno", "pypdfium2", "pypdf", "Pillow", "tinycss2", "rcssmin", "rjsmin", "Babel", "Jinja2", "PyYAML")


def digest(*parts: bytes | str | Path) -> str:
    """A short hash of parts: a Path counts by its name and content."""
    found = hashlib.sha256()
    for part in parts:
        if isinstance(part, Path):
            found.update(str(part.relative_to(ROOT) if part.is_relative_to(ROOT) else part).encode())
            part = part.read_bytes()
        elif isinstance(part, str):
            part = part.encode()
        found.update(len(part).to_bytes(8, "big"))  # so that ("ab", "c") and ("a", "bc") differ
        found.update(part)
    return found.hexdigest()[:16]


def files(*folders_or_files: Path, pattern: str = "*") -> list[Path]:
    """Every file under the given folders (and the given files), in a
    stable order, without caches."""
    found = []
    for item in folders_or_files:
        if item.is_file():
            found.append(item)
        elif item.is_dir():
            found.extend(p for p in item.rglob(pattern) if p.is_file() and "__pycache__" not in p.parts)
    return sorted(found)


@lru_cache(maxsize=None)
def versions() -> str:
    """The versions of TOOLS that are installed (and the ICU data PyICU uses)."""
    found = []
    for name in TOOLS:
        try:
            found.append(f"{name}=={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            found.append(f"{name} absent")
    try:
        import icu
        found.append(f"ICU {icu.ICU_VERSION}")
    except ImportError:
        pass
    return "\n".join(found)


@lru_cache(maxsize=None)
def toolchain() -> str:
    """The code and the assets every PDF is made with: resources/ (its Python,
    its print stylesheets), the fonts, the Khmer digits, and the tools' versions.
    Cached for the process: a build reads it once."""
    return digest(versions(), *files(ROOT / "resources", pattern="*.py"), *files(ROOT / "resources" / "pdf"),
                  *files(ROOT / "overrides" / "assets" / "fonts"), ROOT / "report_endpoint" / "khmer_digits.py")

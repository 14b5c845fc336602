"""Languages: which ones exist, how the language of a request is chosen, and
the Babel catalogs.

Order of choice: an explicit choice (the /km/ path prefix, or a `lang`
parameter), then the browser's Accept-Language, then English.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, request
from flask_babel import Babel
from werkzeug.exceptions import HTTPException

from .khmer_digits import TO_KHMER, khmer_digits

LOCALES = {"en": "English", "km": "ខ្មែរ"}
DEFAULT = "en"
CATALOGS = Path(__file__).with_name("translations")


def explicit_locale() -> str | None:
    if request.path == "/km" or request.path.startswith("/km/"):
        return "km"
    chosen = request.args.get("lang")
    if not chosen:
        try:
            if request.mimetype == "application/x-www-form-urlencoded":
                chosen = request.form.get("lang")
            elif request.is_json:
                body = request.get_json(silent=True)
                chosen = body.get("lang") if isinstance(body, dict) else None
        except HTTPException:
            chosen = None  # a body we refuse (too large): its error is translated by Accept-Language
    return chosen if chosen in LOCALES else None


def select_locale() -> str:
    return explicit_locale() or request.accept_languages.best_match(LOCALES) or DEFAULT


def compile_catalogs(target: Path) -> Path:
    """Compile translations/<lang>/LC_MESSAGES/messages.po into target (the
    instance folder), so the package ships only text catalogs."""
    for po_path in CATALOGS.glob("*/LC_MESSAGES/messages.po"):
        mo_path = target / po_path.relative_to(CATALOGS).with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        mo_path.parent.mkdir(parents=True, exist_ok=True)
        with po_path.open("rb") as handle:
            catalog = read_po(handle, locale=po_path.parts[-3])
        temporary = mo_path.with_suffix(f".{id(catalog)}.tmp")
        with temporary.open("wb") as handle:
            write_mo(handle, catalog)
        temporary.replace(mo_path)
    return target


def local_digits(value) -> str:
    """Digits as they are (a reference, a date Babel wrote) in the current
    language's digits (០-៩ in Khmer)."""
    from flask_babel import get_locale
    text = str(value)
    return khmer_digits(text) if str(get_locale()) == "km" else text


def local_number(value: int) -> str:
    """A quantity in the current language.  Khmer: Khmer digits, with CLDR's
    separators for them (locale km, numbering system khmr): "." between
    thousands, "២.០០០" (CONTENT.md, "Khmer").  English: as it is, "2000"."""
    from babel.numbers import format_decimal
    from flask_babel import get_locale
    if str(get_locale()) != "km":
        return str(value)
    return format_decimal(value, locale="km", numbering_system="khmr").translate(TO_KHMER)


def init_app(app: Flask) -> None:
    translations = compile_catalogs(Path(app.instance_path) / "translations")
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(translations)
    Babel(app, locale_selector=select_locale)

    @app.context_processor
    def language_context():
        from flask_babel import get_locale
        locale = str(get_locale())
        return {"lang": locale, "dir": "ltr", "locales": LOCALES, "local_digits": local_digits}

"""The learning resource library, built from resources/ (see resources/catalog.py):

- every training pack becomes a PDF per language (resources/pdfs.py, cached:
  only a changed pack is rendered again), copied to downloads/<id>/;
- a page marks where a list of resources goes with an HTML comment:
  `<!-- ihc-library -->` (all, with filters), `<!-- ihc-library audience=schools -->`
  or `<!-- ihc-library topic=grooming -->`; the list is written in the page's
  language, with each download's format, language, pages, size and review date;
- every page's `reviewed:` date is written out for the template, in its language.
"""

from __future__ import annotations

import datetime as dt
import html
import posixpath
import re
import shutil
import sys
from pathlib import Path

from babel.numbers import format_decimal
from mkdocs.exceptions import PluginError

ROOT = Path(__file__).resolve().parent.parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from resources import catalog, pdfs, posters, render_ahead  # noqa: E402
from resources.posters import site as poster_site  # noqa: E402
from resources.packs import PackError  # noqa: E402
from report_endpoint.khmer_digits import TO_KHMER  # noqa: E402

KIT = ROOT / ".cache" / "ihc-offline-kit.zip"
KIT_MARKER = re.compile(r"^<!--\s*ihc-offline-kit\s*-->\s*$", re.M)
KIT_FILE = "downloads/ihc-offline-kit.zip"
KIT_WORDS = {
    "en": {"link": "Download the offline kit", "zip": "ZIP", "here": "You are reading the offline kit. The latest "
           "version, with any new or updated resources, is on the website.",
           "missing": "The offline kit is made when the whole site is built (python -m resources.build)."},
    "km": {"link": "ទាញយកកញ្ចប់ប្រើក្រៅបណ្តាញ", "zip": "ZIP", "here": "អ្នកកំពុងអានកញ្ចប់ប្រើក្រៅបណ្តាញ។ "
           "កំណែចុងក្រោយ ដែលមានធនធានថ្មី ឬធនធានដែលបានកែសម្រួល មាននៅលើគេហទំព័រ។",
           "missing": "កញ្ចប់ប្រើក្រៅបណ្តាញត្រូវបានបង្កើតនៅពេលសាងសង់គេហទំព័រទាំងមូល។"},
}
MARKER = re.compile(r"^<!--\s*ihc-library(?:\s+(audience|topic)=([a-z0-9-]+))?\s*-->\s*$", re.M)
WORDS = {
    "en": {"for": "For", "ages": "Ages", "topics": "Topics", "type": "Type", "reviewed": "Last reviewed",
           "pdf": "PDF", "pages": "pages", "open": "Read it on this site", "all": "All",
           "audience": "Who it is for", "age_bands": "Age", "topic": "Topic", "types": "Type of material",
           "shown": "resources shown", "filters": "Filter the library", "none": "No resource matches these choices.",
           "en": "English", "km": "Khmer", "partners": "For the hotline's partners only.",
           "partners_why": "Sign in to the partners' area to download it."},
    "km": {"for": "សម្រាប់", "ages": "អាយុ", "topics": "ប្រធានបទ", "type": "ប្រភេទ", "reviewed": "ពិនិត្យចុងក្រោយ",
           "pdf": "PDF", "pages": "ទំព័រ", "open": "អាននៅលើគេហទំព័រនេះ", "all": "ទាំងអស់",
           "audience": "សម្រាប់នរណា", "age_bands": "អាយុ", "topic": "ប្រធានបទ", "types": "ប្រភេទឯកសារ",
           "shown": "ធនធានដែលបង្ហាញ", "filters": "ជ្រើសរើសធនធាន", "none": "គ្មានធនធានណាត្រូវនឹងជម្រើសទាំងនេះទេ។",
           "en": "អង់គ្លេស", "km": "ខ្មែរ", "partners": "សម្រាប់តែដៃគូរបស់ហតឡាញប៉ុណ្ណោះ។",
           "partners_why": "សូមចូលគណនីក្នុងផ្នែកសម្រាប់ដៃគូ ដើម្បីទាញយកឯកសារនេះ។"},
}
COLON = {"en": ":", "km": "៖"}
# A padlock (drawn for this site, like its other icons): restricted packs.
LOCK = ('<svg class="ihc-lock" aria-hidden="true" focusable="false" viewBox="0 0 24 24" width="18" height="18">'
        '<path fill="currentColor" d="M12 2a5 5 0 0 0-5 5v3H6a2 2 0 0 0-2 2v8a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2v-8a2 '
        '2 0 0 0-2-2h-1V7a5 5 0 0 0-5-5Zm-3 8V7a3 3 0 1 1 6 0v3H9Zm3 4a2 2 0 0 1 1 3.7V19h-2v-1.3A2 2 0 0 1 12 14Z"/>'
        '</svg>')

_state: dict = {}


def _load() -> dict:
    """The catalog, labels and PDFs, once per build process."""
    if not _state:
        try:
            resources = catalog.load()
        except PackError as error:
            raise PluginError(str(error)) from None
        names = catalog.labels()
        built = {}
        render_ahead.render_missing(resources, names)  # side by side, one process per core
        for resource in resources:
            if resource.kind == "pack":
                for lang in resource.languages:
                    built[(resource.id, lang)] = pdfs.build(resource.pack, lang, render_ahead.local_labels(names, lang))
            elif resource.kind == "poster":  # keyed (poster id, lang, "a4" or "a3")
                built.update(posters.build_all(resource.poster))
        _state.update(resources=resources, labels=names, pdfs=built)
    return _state


def local_number(value, lang: str, decimals: int = 0) -> str:
    """A figure in the page's language.  Khmer: Khmer digits with CLDR's
    separators for them (locale km, numbering system khmr): "." between
    thousands and "," before decimals, as in ១.២៤០ and ១,៥ (CONTENT.md)."""
    if lang != "km":
        return f"{value:.{decimals}f}" if decimals else str(value)
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(value, format=pattern, locale="km", numbering_system="khmr").translate(TO_KHMER)


# Khmer: CLDR's names for the units (its Khmer "short" forms are the Latin kB
# and MB), in full, on every Khmer page and download line.
SIZE_UNITS = {"en": ("KB", "MB"), "km": ("គីឡូបៃ", "មេកាបៃ")}


def size_text(size: int, lang: str) -> str:
    kilo, mega = SIZE_UNITS[lang]
    if size >= 1_000_000:
        return f"{local_number(size / 1_000_000, lang, 1)} {mega}"
    return f"{local_number(max(1, round(size / 1000)), lang)} {kilo}"


def page_url(path: str, lang: str, directory_urls: bool) -> str:
    """The site URL of a docs page (resources/children.md) in a language."""
    prefix = "" if lang == "en" else f"{lang}/"
    stem = path[:-3]
    if stem.endswith("index"):
        stem = stem[: -len("index")]
        return prefix + stem if directory_urls else f"{prefix}{stem}index.html"
    return f"{prefix}{stem}/" if directory_urls else f"{prefix}{stem}.html"


def relative(target: str, page) -> str:
    here = posixpath.dirname(page.url) if not page.url.endswith("/") else page.url.rstrip("/")
    return posixpath.relpath(target, here or ".") + ("/" if target.endswith("/") else "")


def resource_item(resource, lang: str, page, config, state) -> str:
    words, names, colon = WORDS[lang], state["labels"], COLON[lang]

    def listed(dimension: str, values: list[str]) -> str:
        return ", ".join(names[dimension][value][lang] for value in values)

    title = html.escape(resource.title[lang])
    if resource.kind == "poster":
        link = relative(page_url(resource.page, lang, config.use_directory_urls), page)
        heading = f'<a href="{html.escape(link)}">{title}</a>'
        action = poster_downloads(resource, lang, page, resource.languages, state)
    elif resource.kind == "page":
        link = relative(page_url(resource.page, lang, config.use_directory_urls), page)
        heading = f'<a href="{html.escape(link)}">{title}</a>'
        action = f'<p class="ihc-resource__links"><a href="{html.escape(link)}">{words["open"]}</a></p>'
    elif resource.restricted:
        # Listed so partners know it exists; its file is never on the public site.
        heading = title
        pages = ", ".join(f'{WORDS[lang][other]}, {local_number(state["pdfs"][(resource.id, other)].pages, lang)} '
                          f'{words["pages"]}' for other in resource.languages)
        area = relative(page_url("partners/index.md", lang, config.use_directory_urls), page)
        action = (f'<p class="ihc-resource__restricted">{LOCK}<strong>{words["partners"]}</strong> '
                  f'<a href="{html.escape(area)}">{words["partners_why"]}</a> ({words["pdf"]}: {pages})</p>')
    else:
        heading = title
        links = []
        for other in resource.languages:
            pdf = state["pdfs"][(resource.id, other)]
            href = relative(pdf.filename, page)
            text = (f'{words["pdf"]}, {WORDS[lang][other]}, {local_number(pdf.pages, lang)} {words["pages"]}, '
                    f'{size_text(pdf.size, lang)}')
            links.append(f'<a href="{html.escape(href)}" download hreflang="{other}" type="application/pdf" '
                         f'data-pages="{pdf.pages}" data-bytes="{pdf.size}">{text}</a>')
        action = f'<p class="ihc-resource__links">{" · ".join(links)}</p>'
    data = " ".join(f'data-{name}="{html.escape(" ".join(getattr(resource, key)))}"' for name, key in
                    (("audience", "audience"), ("age", "age_bands"), ("topics", "topics")))
    data += f' data-types="{html.escape("|".join(resource.types))}"'
    return (f'<li class="ihc-resource" id="resource-{resource.id}" data-resource="{resource.id}" {data}>'
            f'<h3 id="resource-{resource.id}-title">{heading}</h3>'
            f'<p>{html.escape(resource.summary[lang])}</p>'
            f'<p class="ihc-resource__tags">{words["for"]}{colon} {html.escape(listed("audience", resource.audience))} · '
            f'{words["ages"]}{colon} {html.escape(listed("age_bands", resource.age_bands))} · '
            f'{words["type"]}{colon} {html.escape(listed("types", resource.types))} · '
            f'{words["topics"]}{colon} {html.escape(listed("topics", resource.topics))}</p>'
            f'{action}'
            f'<p class="ihc-resource__reviewed">{words["reviewed"]}{colon} {pdfs.local_date(resource.reviewed, lang)}</p>'
            f'</li>')


def poster_downloads(resource, lang: str, page, languages, state) -> str:
    """A poster's PDFs: each language in A4 and A3, one page each, with the size."""
    words, links = WORDS[lang], []
    for other in languages:
        for size in posters.SIZES:
            pdf = state["pdfs"][(resource.poster.id, other, size)]
            pages = posters.WORDS[lang]["page"] if pdf.pages == 1 else words["pages"]
            text = (f'{words["pdf"]} {posters.WORDS[lang]["size"][size]}, {WORDS[lang][other]}, '
                    f'{local_number(pdf.pages, lang)} {pages}, {size_text(pdf.bytes, lang)}')
            links.append(f'<a href="{html.escape(relative(pdf.filename, page))}" download hreflang="{other}" '
                         f'type="application/pdf" data-size="{size}" data-pages="{pdf.pages}" '
                         f'data-bytes="{pdf.bytes}">{text}</a>')
    return f'<p class="ihc-resource__links">{" · ".join(links)}</p>'


def filters(lang: str, state) -> str:
    """The filter form (shown by assets/javascripts/library.js; without JavaScript
    the whole list shows)."""
    words, names = WORDS[lang], state["labels"]
    fields = []
    for dimension, name in (("audience", "audience"), ("age_bands", "age"), ("topics", "topics"),
                            ("types", "types")):
        label = words["topic"] if dimension == "topics" else words[dimension]
        options = f'<option value="">{words["all"]}</option>' + "".join(
            f'<option value="{html.escape(value)}">{html.escape(text[lang])}</option>'
            for value, text in names[dimension].items())
        fields.append(f'<div class="ihc-filters__field"><label for="filter-{name}">{label}</label>'
                      f'<select id="filter-{name}" data-filter="{name}">{options}</select></div>')
    return (f'<form class="ihc-filters" data-ihc-filters hidden aria-label="{words["filters"]}">{"".join(fields)}'
            f'<p class="ihc-filters__count" aria-live="polite"><span data-ihc-count></span> {words["shown"]}</p>'
            f'<p class="ihc-filters__none" data-ihc-none hidden>{words["none"]}</p></form>')


def library(match: re.Match, lang: str, page, config, state) -> str:
    dimension, value = match.group(1), match.group(2)
    key = {"audience": "audience", "topic": "topics"}.get(dimension)
    own = page.file.src_uri.split("/", 1)[-1] if page.file.src_uri.startswith(f"{lang}/") else page.file.src_uri
    chosen = [r for r in state["resources"]
              if (key is None or value in getattr(r, key)) and r.page != own]
    if key and value not in state["labels"]["audience" if key == "audience" else "topics"]:
        raise PluginError(f"{page.file.src_uri}: unknown library filter {dimension}={value}")
    if not chosen:
        # A heading over an empty list tells the reader nothing: fail the build instead.
        raise PluginError(f"{page.file.src_uri}: the library marker {match.group(0).strip()} lists no resource")
    items = "".join(resource_item(r, lang, page, config, state) for r in chosen)
    head = filters(lang, state) if key is None else ""
    return f'<div class="ihc-library" data-ihc-library>{head}<ul class="ihc-library__list">{items}</ul></div>'


def offline_kit(lang: str, page, config) -> str:
    """The Schools page's link to the offline kit, with its size."""
    words = KIT_WORDS[lang]
    if config.extra.get("offline"):
        return f'<p class="ihc-kit">{words["here"]}</p>'
    if not KIT.is_file():
        return f'<p class="ihc-kit">{words["missing"]}</p>'
    size = size_text(KIT.stat().st_size, lang)
    return (f'<p class="ihc-kit"><a class="md-button" href="{html.escape(relative(KIT_FILE, page))}" download '
            f'type="application/zip" data-bytes="{KIT.stat().st_size}">{words["link"]} '
            f'({words["zip"]}, {size})</a></p>')


def write_restricted_index(config, state) -> None:
    """restricted/index.json: each restricted pack's title, summary and files,
    for the partners' area to list (report_endpoint/partner_web.py)."""
    import json
    packs = [{"id": r.id, "title": r.title, "summary": r.summary,
              "files": {lang: {"pages": state["pdfs"][(r.id, lang)].pages, "bytes": state["pdfs"][(r.id, lang)].size}
                        for lang in r.languages}}
             for r in state["resources"] if r.restricted]
    folder = restricted_dir(config)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "index.json").write_text(json.dumps(packs, ensure_ascii=False, indent=1), encoding="utf-8")


def restricted_dir(config) -> Path:
    """restricted/ beside the site folder (site/ -> restricted/)."""
    return Path(config.site_dir).resolve().parent / "restricted"


def on_config(config, **kwargs):
    # Read again on every build, so `mkdocs serve` sees edited packs (an
    # unchanged PDF comes from the cache in a millisecond).
    _state.clear()
    _load()
    return config


def on_page_markdown(markdown: str, page, config, **kwargs) -> str:
    lang = config.theme.get("language", "en")
    reviewed = page.meta.get("reviewed")
    if isinstance(reviewed, dt.date):
        page.meta["reviewed_text"] = pdfs.local_date(reviewed, lang)
    if "ihc-offline-kit" in markdown:
        markdown = KIT_MARKER.sub(lambda match: offline_kit(lang, page, config), markdown)
    if "ihc-poster" in markdown:
        markdown = poster_site.expand(markdown, lang, page, _load(), relative,
                                      lambda r, lg, pg, langs: poster_downloads(r, lg, pg, langs, _load()))
    if "ihc-library" not in markdown:
        return markdown
    state = _load()
    return MARKER.sub(lambda match: library(match, lang, page, config, state), markdown)


def on_post_build(config, **kwargs):
    state = _load()
    if KIT.is_file() and not config.extra.get("offline"):
        target = Path(config.site_dir) / KIT_FILE
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(KIT, target)
    restricted = {r.id for r in state["resources"] if r.restricted}
    if restricted and not config.extra.get("offline"):
        write_restricted_index(config, state)
    for pdf in state["pdfs"].values():
        if getattr(pdf, "pack", None) in restricted:
            # Beside the site, never in it (nor in the offline kit, built from
            # its own site folder): the endpoint gives them to partners.
            if not config.extra.get("offline"):
                target = restricted_dir(config) / Path(pdf.filename).relative_to("downloads")
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(pdf.path, target)
            continue
        target = Path(config.site_dir) / pdf.filename
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(pdf.path, target)
        if getattr(pdf, "preview", None):  # a poster's picture for its page
            shutil.copyfile(pdf.preview, Path(config.site_dir) / pdf.preview_filename)

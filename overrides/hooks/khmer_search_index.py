"""Make the search index find Khmer words, and give each language its own index.

Khmer is written without spaces between words, so Material's search would
index a whole phrase as one token and find a word only at the start of a
phrase.  After the build (and after mkdocs-static-i18n has merged both
languages into search/search_index.json) this hook:

1. writes subscript DA as subscript TA (the two look alike; writers use both),
   then splits every run of Khmer text in the index into words with ICU's word
   break iterator (the same algorithm as the browser's Intl.Segmenter('km'),
   which splits the visitor's query) and joins the words with U+200B, which is
   in the search separator in mkdocs.yml, so each word becomes a token;
2. writes search/search_index.<lang>.json per language beside the merged
   index (the Khmer one with FUNCTION_WORDS in its config, for the worker);
   assets/javascripts/khmer-search.js makes each page load its own
   language's index, so results are in the page's language and the download
   is about half.

The rendered pages are not changed: only the index is.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.plugins import event_priority

ROOT = Path(__file__).resolve().parent.parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# ICU's word segmentation (locale km), shared with the PDFs (resources/pdfs.py).
from resources.khmer_breaks import KHMER_RUN, ZWSP, khmer_words  # noqa: E402

LANGUAGE_PREFIX = re.compile(r"^([a-z]{2})/")
DEFAULT_LANGUAGE = "en"


# Khmer function words: particles, prepositions, conjunctions, auxiliaries,
# pronouns and the nominaliser ការ, each on nearly every page (most of them on
# 40 to 55 of the 55 Khmer pages).  In a query of several words
# khmer-search-worker.js gives them no wildcard (ការ* would match hundreds of
# words) and only weight 1, and requires the other words, so ការលួងលោម finds
# the grooming page first, as លួងលោម does.  Shipped in the Khmer index's config.
FUNCTION_WORDS = (
    "ការ", "បាន", "ដែល", "សម្រាប់", "ថា", "នៃ", "និង", "ជា", "នៅ", "នៅក្នុង", "ក្នុង", "លើ", "ពី",
    "ទៅ", "មក", "ដល់", "ឬ", "របស់", "ដើម្បី", "ហើយ", "ដោយ", "តាម", "ជាមួយ", "ចំពោះ", "អំពី",
    "នេះ", "នោះ", "គឺ", "មាន", "ត្រូវ", "អាច", "នឹង", "កំពុង", "ក៏", "ដែរ", "ទៀត", "ទេ", "មិន",
    "ឱ្យ", "សូម", "ប្រសិនបើ", "នៅពេល", "វា", "គេ", "ពួកគេ", "យើង", "អ្នក", "មួយ", "ម្នាក់",
    "ៗ", "។", "៖", "៕",
)

# Subscript DA and subscript TA look the same and writers use both (ម្ដង, ម្តង):
# search treats them as one, here and in khmer-search-worker.js.
SUBSCRIPT_DA, SUBSCRIPT_TA = "\u17d2\u178a", "\u17d2\u178f"


def segment(text: str) -> str:
    """Text with each Khmer run split into words joined by U+200B (idempotent)."""
    text = text.replace(SUBSCRIPT_DA, SUBSCRIPT_TA)
    return KHMER_RUN.sub(lambda match: ZWSP.join(khmer_words(match.group())), text)


def language_of(location: str) -> str:
    match = LANGUAGE_PREFIX.match(location)
    return match.group(1) if match else DEFAULT_LANGUAGE


def rewrite_index(search_dir: Path) -> None:
    merged = search_dir / "search_index.json"
    index = json.loads(merged.read_text(encoding="utf-8"))
    for doc in index["docs"]:
        for field in ("title", "text"):
            if field in doc:
                doc[field] = segment(doc[field])
    merged.write_text(json.dumps(index, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    index["config"]["khmer"] = {"function_words": list(FUNCTION_WORDS)}
    languages = sorted({language_of(doc["location"]) for doc in index["docs"]})
    for language in languages:
        config = {**index["config"]}
        if language != "km":
            del config["khmer"]
        part = {**index, "config": config, "docs": [d for d in index["docs"] if language_of(d["location"]) == language]}
        (search_dir / f"search_index.{language}.json").write_text(
            json.dumps(part, ensure_ascii=False, separators=(",", ":")), encoding="utf-8"
        )


# After mkdocs-static-i18n (-100) has written the merged index of all languages.
@event_priority(-200)
def on_post_build(config: MkDocsConfig) -> None:
    search_dir = Path(config.site_dir) / "search"
    if (search_dir / "search_index.json").exists():
        rewrite_index(search_dir)

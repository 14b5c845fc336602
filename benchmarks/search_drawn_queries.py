"""Search recall on queries drawn at random from the built pages, not picked
by hand, and the rank of every topic and hub page for its own Khmer name;
this site's search now against a baseline (by default the search files as
last committed), built from the same content and measured in the same run.

    python benchmarks/search_drawn_queries.py [--seed 1] [--baseline HEAD]

The query set, drawn with a fixed seed from the text of each built page of
each language (paragraphs, list items, table cells of the article):

- word: one word from the middle of a sentence (never its first word), not a
  function word (Khmer: FUNCTION_WORDS of khmer_search_index.py; English:
  lunr's stop words), at least two letters;
- pair: two adjacent words from the middle of a sentence, as typed: Khmer two
  consecutive ICU words of one run of Khmer, joined without a space; English
  two words separated by a space.  Pairs may contain function words (បាន,
  ដែល, ការ, សម្រាប់ ...): that is what they test.

A query is kept only if at most TOP pages of its language contain all its
words (so that its page can be in the top TOP at all), and at most PER_PAGE
of each kind are drawn per page.  A query is a hit when its source page is
among the first TOP pages of results in the real search box (Chromium).

Names: each page of docs/km/topics/ and docs/km/resources/ (the topic and
audience hub pages) typed as its H1 reads, as its topic label in
resources/labels.yml reads, and as the first two words of either when the
first is ការ ("ការលួងលោម"): the page's rank among the results; target 1.

"baseline": hooks/khmer_search_index.py and assets/javascripts/khmer-search*.js
as in git revision --baseline (read with `git show`; nothing in the working
tree changes), everything else as now.
"""

from __future__ import annotations

import argparse
import gzip
import importlib.util
import json
import os
import hashlib
import re
import sys
import tempfile
from pathlib import Path

import yaml
from bs4 import BeautifulSoup

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from playwright.sync_api import sync_playwright  # noqa: E402

from search_helpers import TOP, git_show, open_search, search  # noqa: E402
from site_helpers import CHROMIUM, CHROMIUM_ARGS, build_site, page_url, serve_directory  # noqa: E402

HOOK = "overrides/hooks/khmer_search_index.py"
SCRIPTS = ("khmer-search.js", "khmer-search-worker.js")
PER_PAGE = 2
KHMER_WORD = re.compile(r"^[\u1780-\u17ff\u19e0-\u19ff]+$")
KHMER_DIGIT = re.compile(r"[\u17e0-\u17e9]")
KHMER_RUN = re.compile(r"[\u1780-\u17ff\u19e0-\u19ff]+")
LATIN_WORD = re.compile(r"[A-Za-z]+(?:'[a-z]+)?")
SENTENCE_END = re.compile(r"[។៕.!?;:៖\n]+")
# lunr's English stop words (lunr.stopWordFilter), as Material's index uses them.
EN_STOP = set("""a able about across after all almost also am among an and any are as at be because been but
by can cannot could dear did do does either else ever every for from get got had has have he her hers him his
how however i if in into is it its just least let like likely may me might most must my neither no nor not of
off often on only or other our own rather said say says she should since so some than that the their them then
there these they this tis to too twas us wants was we were what when where which while who whom why will with
would yet you your""".split())


def load_hook():
    spec = importlib.util.spec_from_file_location("khmer_search_index", ROOT / HOOK)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


hook = load_hook()
KM_STOP = set(getattr(hook, "FUNCTION_WORDS", ())) or {"បាន", "ដែល", "ការ", "សម្រាប់", "ថា", "នៃ", "និង", "ជា"}


# ── building ────────────────────────────────────────────────────────────────

def build(site: Path, config: Path | None = None) -> None:
    """`mkdocs build --strict` of config (mkdocs.yml by default) into site."""
    result = build_site(site, config or ROOT / "mkdocs.yml")
    if result.returncode != 0:
        sys.exit(result.stderr[-3000:])


def build_baseline(revision: str, site: Path) -> None:
    """The site with the search hook and scripts of `revision`."""
    work = Path(tempfile.mkdtemp(prefix="ihc-search-baseline-"))
    old_hook = work / "khmer_search_index.py"
    old_hook.write_text(git_show(revision, HOOK), encoding="utf-8")
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    config["hooks"] = [str(old_hook) if h == HOOK else h for h in config["hooks"]]
    old_search = git_show(revision, "mkdocs.yml")
    if old_search:  # the search plugin block as it was
        old_plugins = yaml.safe_load(old_search)["plugins"]
        old_block = next(p for p in old_plugins if isinstance(p, dict) and "search" in p)
        config["plugins"] = [old_block if isinstance(p, dict) and "search" in p else p for p in config["plugins"]]
    path = ROOT / ".mkdocs-baseline-search.yml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    try:
        build(site, path)
    finally:
        path.unlink()
    for name in SCRIPTS:
        text = git_show(revision, f"overrides/assets/javascripts/{name}")
        if text is not None:
            (site / "assets" / "javascripts" / name).write_text(text, encoding="utf-8")


# ── drawing the queries ─────────────────────────────────────────────────────

def pages_of(site: Path, language: str) -> list[str]:
    index = json.loads((site / "search" / f"search_index.{language}.json").read_text(encoding="utf-8"))
    return list(dict.fromkeys(doc["location"].split("#")[0] for doc in index["docs"]))


def sentences(html: Path) -> list[str]:
    soup = BeautifulSoup(html.read_text(encoding="utf-8"), "html.parser")
    article = soup.select_one("article.md-content__inner") or soup
    for hidden in article.select("script, style, .headerlink, nav"):
        hidden.decompose()
    found = []
    for block in article.find_all(["p", "li", "td"]):
        if block.find(["p", "li", "ul", "ol"]):  # only innermost blocks
            continue
        found += [s.strip() for s in SENTENCE_END.split(block.get_text(" ")) if s.strip()]
    return found


def khmer_tokens(sentence: str) -> list[tuple[str, int]]:
    """ICU words of a sentence's Khmer runs, each with the number of its run."""
    tokens = []
    for number, run in enumerate(KHMER_RUN.findall(sentence)):
        tokens += [(word, number) for word in hook.khmer_words(run)]
    return tokens


def page_words(sentence_list: list[str], language: str) -> set[str]:
    if language == "km":
        return {w.replace("\u17d2\u178a", "\u17d2\u178f") for s in sentence_list for w, _ in khmer_tokens(s)}
    return {w.lower() for s in sentence_list for w in LATIN_WORD.findall(s)}


def candidates(sentence: str, language: str) -> tuple[list[tuple], list[tuple]]:
    """(words, pairs) of a sentence: (query, words the query consists of)."""
    words, pairs = [], []
    if language == "km":
        tokens = [t for t in khmer_tokens(sentence) if KHMER_WORD.match(t[0])]
        for i in range(1, len(tokens)):
            word, run = tokens[i]
            if word not in KM_STOP and len(word) >= 2 and not KHMER_DIGIT.search(word):
                words.append((word, [word]))
            if i + 1 < len(tokens) and tokens[i + 1][1] == run:
                pairs.append((word + tokens[i + 1][0], [word, tokens[i + 1][0]]))
    else:
        # adjacent: separated by one space only
        for match in re.finditer(r"(?<=[a-z,] )([A-Za-z]+) ([A-Za-z]+)\b", sentence):
            first, second = match.group(1), match.group(2)
            if first.lower() not in EN_STOP and len(first) >= 2:
                words.append((first, [first.lower()]))
            pairs.append((f"{first} {second}", [first.lower(), second.lower()]))
    return words, pairs


def shuffled(pool: list, seed: int) -> list:
    """pool in an order fixed by the seed (a keyed hash of each item)."""
    return sorted(pool, key=lambda item: hashlib.sha256(f"{seed}:{item}".encode()).digest())


def draw(site: Path, seed: int) -> dict[str, list[dict]]:
    drawn = {}
    for language in ("km", "en"):
        texts = {}
        for location in pages_of(site, language):
            html = site / location / "index.html"
            if html.exists():
                texts[location] = sentences(html)
        vocab = {location: page_words(s, language) for location, s in texts.items()}
        items = []
        for location, sentence_list in sorted(texts.items()):
            words, pairs = [], []
            for sentence in sentence_list:
                w, p = candidates(sentence, language)
                words += w
                pairs += p
            for kind, pool in (("word", words), ("pair", pairs)):
                pool = shuffled(sorted(set((q, tuple(ws)) for q, ws in pool)), seed)
                taken = 0
                for query, parts in pool:
                    norm = [p.replace("\u17d2\u178a", "\u17d2\u178f") for p in parts]
                    holders = sum(all(p in v for p in norm) for v in vocab.values())
                    if holders > TOP:
                        continue
                    items.append({"kind": kind, "query": query, "page": location})
                    taken += 1
                    if taken == PER_PAGE:
                        break
        drawn[language] = items
    return drawn


def topic_names() -> list[dict]:
    """The Khmer names of topic and hub pages, each with its page."""
    names = []
    labels = yaml.safe_load((ROOT / "resources" / "labels.yml").read_text(encoding="utf-8"))["topics"]
    for folder in ("topics", "resources"):
        for md in sorted((ROOT / "docs" / "km" / folder).glob("*.md")):
            h1 = next((line[2:] for line in md.read_text(encoding="utf-8").splitlines() if line.startswith("# ")), None)
            if not h1:
                continue
            h1 = re.sub(r"\s*\{[^}]*\}\s*$", "", h1).strip()
            path = f"{folder}/{md.name}"
            forms = [h1]
            label = labels.get(md.stem, {}).get("km") if folder == "topics" else None
            if label:
                forms.append(label)
            for form in list(forms):
                words = hook.khmer_words(KHMER_RUN.match(form).group()) if KHMER_RUN.match(form) else []
                if len(words) > 2 and words[0] == "ការ":
                    forms.append(words[0] + words[1])
            for form in dict.fromkeys(forms):
                names.append({"query": form, "page": path})
    return names


# ── measuring ───────────────────────────────────────────────────────────────

def measure(browser, site: Path, drawn: dict, names: list[dict]) -> tuple[dict, list]:
    base, server = serve_directory(site)
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(30000)
    hits = {}
    for language, items in drawn.items():
        open_search(page, base, language)
        for item in items:
            results = search(page, base, item["query"])
            hit = base + item["page"] in results
            hits.setdefault((language, item["kind"]), []).append((item, hit, results))
    open_search(page, base, "km")
    ranks = []
    for name in names:
        results = search(page, base, name["query"])
        target = base + page_url(name["page"], "km")
        ranks.append(results.index(target) + 1 if target in results else None)
    context.close()
    server.shutdown()
    return hits, ranks


def size(path: Path) -> str:
    data = path.read_bytes()
    return f"{len(data) / 1000:.0f} KB ({len(gzip.compress(data, 6)) / 1000:.0f} KB gzip)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--baseline", default="HEAD", help="git revision of the baseline's search files; 'none' to skip")
    parser.add_argument("--site", type=Path, help="an already built site to measure instead of building one")
    parser.add_argument("--misses", action="store_true", help="list every miss")
    args = parser.parse_args()

    sites = {}
    if args.baseline != "none":
        sites["baseline"] = Path(tempfile.mkdtemp(prefix="ihc-search-base-"))
        build_baseline(args.baseline, sites["baseline"])
    sites["now"] = args.site or Path(tempfile.mkdtemp(prefix="ihc-search-now-"))
    if not args.site:
        build(sites["now"])
    drawn = draw(sites["now"], args.seed)
    names = topic_names()

    results = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for label, site in sites.items():
            results[label] = measure(browser, site, drawn, names)
        browser.close()

    labels = list(sites)
    print(f"queries drawn from the built pages (seed {args.seed}): source page in the top {TOP}")
    print(f"{'set':10} {'queries':>7} {'pages':>5} " + " ".join(f"{label:>16}" for label in labels))
    keys = [("km", "word"), ("km", "pair"), ("en", "word"), ("en", "pair")]
    for key in keys:
        rows = results[labels[0]][0][key]
        pages = len({item["page"] for item, _, _ in rows})
        cells = []
        for label in labels:
            hits = [hit for _, hit, _ in results[label][0][key]]
            cells.append(f"{sum(hits):>4}/{len(hits):<4} {sum(hits) / len(hits):>5.0%}")
        print(f"{key[0] + ' ' + key[1]:10} {len(rows):>7} {pages:>5} " + " ".join(f"{c:>16}" for c in cells))
    for language in ("km", "en"):
        cells = []
        for label in labels:
            hits = [hit for key in keys if key[0] == language for _, hit, _ in results[label][0][key]]
            cells.append(f"{sum(hits):>4}/{len(hits):<4} {sum(hits) / len(hits):>5.0%}")
        pages = len({item["page"] for item in drawn[language]})
        print(f"{language + ' all':10} {len(drawn[language]):>7} {pages:>5} " + " ".join(f"{c:>16}" for c in cells))

    print(f"\nrank of each topic and hub page for its own Khmer name (target 1; - = not in top {TOP})")
    print(" ".join(f"{label:>8}" for label in labels) + "  page: name")
    for i, name in enumerate(names):
        ranks = [results[label][1][i] for label in labels]
        print(" ".join(f"{r if r else '-':>8}" for r in ranks) + f"  {name['page']}: {name['query']}")
    for label in labels:
        ranks = results[label][1]
        print(f"{label}: first for {sum(r == 1 for r in ranks)} of {len(ranks)} names")

    print("\nindex sizes (loaded on pages of that language)")
    for language in ("km", "en"):
        print(f"{language}: " + ", ".join(f"{label} {size(site / 'search' / f'search_index.{language}.json')}"
                                        for label, site in sites.items()))
    if args.misses:
        for label in labels:
            print(f"\nmisses, {label}:")
            for key in keys:
                for item, hit, got in results[label][0][key]:
                    if not hit:
                        print(f"  {key[0]} {key[1]} {item['query']!r} <- {item['page']}; got {[g.split('/', 3)[-1] for g in got[:3]]}")
    print(f"\nsites: " + ", ".join(f"{label} {site}" for label, site in sites.items()))


if __name__ == "__main__":
    main()

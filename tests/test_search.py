"""Search finds Khmer words in the middle of sentences, several Khmer words
typed without spaces, and English words; results stay in the page's language.
Every query of tests/search_queries.yml, typed into the real search box."""

from __future__ import annotations

import pytest

from search_helpers import found, open_search, query_set, search
from site_helpers import LANGUAGES, bounded_context

QUERIES = query_set()


def test_query_set_is_large_enough():
    assert len(QUERIES["km"]) >= 60 and len(QUERIES["en"]) >= 20
    kinds = {item["kind"] for item in QUERIES["km"]}
    assert {"word", "phrase", "title", "pair", "name"} <= kinds


@pytest.fixture(scope="module")
def search_page(browser, base_url):
    with bounded_context(browser) as context:
        page = context.new_page()
        page.set_default_timeout(30000)  # the first search loads the whole index
        yield page


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_query_finds_its_page_in_the_top_ten(search_page, base_url, language):
    open_search(search_page, base_url, language)
    misses = []
    for item in QUERIES[language]:
        results = search(search_page, base_url, item["query"])
        if not found(base_url, language, item["expect"], results):
            misses.append((item["query"], item["expect"], results[:3]))
    assert misses == []


def test_topic_and_hub_pages_come_first_for_their_own_khmer_names(search_page, base_url):
    """A reader types a topic's name as written (ការលួងលោម, with the prefix
    ការ): the common word must not outweigh the rare one."""
    open_search(search_page, base_url, "km")
    wrong = []
    for item in QUERIES["km"]:
        if item["kind"] == "name":
            results = search(search_page, base_url, item["query"])
            if not results or not found(base_url, "km", item["expect"], results[:1]):
                wrong.append((item["query"], item["expect"], results[:3]))
    assert wrong == []


def test_query_of_words_in_no_single_section_still_finds_pages(search_page, base_url):
    """All words of a query are required; when no section has them all, the
    worker asks again with none required, rather than showing nothing."""
    open_search(search_page, base_url, "km")
    # Each word is in the index, but not together in any section.
    results = search(search_page, base_url, "សិង្ហបុរីតុក្កតា")
    assert base_url + "km/resources/children/" in results
    assert base_url + "km/news/regional-operation/" in results


@pytest.mark.parametrize("language", LANGUAGES)
def test_results_are_in_the_language_of_the_page(search_page, base_url, language):
    open_search(search_page, base_url, language)
    # Names that appear on pages of both languages.
    for query in ("APLE", "INHOPE", "Take It Down"):
        results = search(search_page, base_url, query)
        assert results, query
        khmer = [url for url in results if "/km/" in url]
        assert len(khmer) == (len(results) if language == "km" else 0), (query, results)


def test_result_excerpt_is_readable_khmer(search_page, base_url):
    open_search(search_page, base_url, "km")
    search(search_page, base_url, "សិង្ហបុរី")
    excerpt = search_page.locator(".md-search-result__item p").first.inner_text()
    assert "សិង្ហបុរី" in excerpt.replace("\u200b", "")
    # The matched word is highlighted as a whole word.
    assert search_page.locator(".md-search-result__item mark").first.inner_text() == "សិង្ហបុរី"


@pytest.mark.parametrize("language", LANGUAGES)
def test_result_counts_are_in_the_digits_of_the_page(search_page, base_url, language):
    """Material writes "# matching documents" and "# more on this page" with
    Western digits; Khmer pages show them in Khmer digits (khmer-search.js)."""
    import re
    open_search(search_page, base_url, language)
    assert len(search(search_page, base_url, "APLE")) > 1
    counts = [search_page.locator(".md-search-result__meta").inner_text()]
    counts += search_page.locator(".md-search-result__more > summary").all_inner_texts()
    assert len(counts) > 1, counts  # the total and at least one "more on this page"
    digits, other = ("[០-៩]", "[0-9]") if language == "km" else ("[0-9]", "[០-៩]")
    assert all(re.search(digits, count) and not re.search(other, count) for count in counts), counts


def test_khmer_query_of_several_words_without_spaces(search_page, base_url):
    open_search(search_page, base_url, "km")
    results = search(search_page, base_url, "កិច្ចព្រមព្រៀងគ្រួសារ")
    assert results[0].endswith("/km/resources/family-agreement/")


def test_single_words_still_found_without_intl_segmenter(new_context, base_url, site):
    """Browsers without Intl.Segmenter: the worker runs without it."""
    worker = (site / "assets" / "javascripts" / "khmer-search-worker.js").read_text(encoding="utf-8")
    context = new_context()
    context.route("**/khmer-search-worker.js*", lambda route: route.fulfill(
        content_type="text/javascript", body="delete Intl.Segmenter;\n" + worker))
    page = context.new_page()
    open_search(page, base_url, "km")
    words = [item for item in QUERIES["km"] if item["kind"] == "word"][:12]
    misses = [item["query"] for item in words
              if not found(base_url, "km", item["expect"], search(page, base_url, item["query"]))]
    assert misses == []


def test_subscript_da_and_ta_are_the_same_letter_to_search(search_page, base_url):
    # ម្ដង and ម្តង look identical; writers and readers type either.
    open_search(search_page, base_url, "km")
    with_da = search(search_page, base_url, "ផ្ដល់")
    with_ta = search(search_page, base_url, "ផ្តល់")
    assert with_da and with_da == with_ta

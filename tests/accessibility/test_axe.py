"""axe-core finds no violation (WCAG 2.x A and AA, contrast included, and
axe's best practices: tests/axe_helpers.py) on any page of the site in either
language, served as deployed (nginx and gunicorn), nor on the report form and
status check in each of their states: blank, with errors, answered."""

from __future__ import annotations

import pytest

from axe_helpers import FORM_STATES, PREFIX, TAGS, axe_violations, describe, form_states, state_is_as_named
from site_helpers import LANGUAGES, bounded_context, nav_pages, page_url


@pytest.fixture(scope="module")
def shared_page(browser):
    """One context for all static pages (fast); CSP bypassed so axe can be injected."""
    with bounded_context(browser, ignore_https_errors=True, bypass_csp=True) as context:
        yield context.new_page()


@pytest.fixture()
def fresh_page(new_context):
    """A context of its own: a form's session and CSRF token start clean."""
    return new_context(ignore_https_errors=True, bypass_csp=True).new_page()


STATIC = [page_url(path, lang) for lang in LANGUAGES for path in nav_pages()]


def test_contrast_rules_are_among_those_run(shared_page, stack):
    """Contrast is checked by axe's own rules: they must stay in the tag set."""
    shared_page.goto(f"{stack.base}/")
    axe_violations(shared_page)  # injects axe
    rules = shared_page.evaluate("tags => axe.getRules(tags).map(r => r.ruleId)", TAGS)
    for rule in ("color-contrast", "link-in-text-block", "target-size", "region", "label"):
        assert rule in rules, rule


@pytest.mark.parametrize("path", STATIC)
def test_page_has_no_violation(shared_page, stack, path):
    answer = shared_page.goto(f"{stack.base}/{path}")
    assert answer.status == 200, path
    violations = axe_violations(shared_page)
    assert not violations, "\n" + describe(violations, "/" + path)


@pytest.mark.parametrize("path", ["/no-such-page/", "/km/no-such-page/"])
def test_not_found_page_has_no_violation(shared_page, stack, path):
    answer = shared_page.goto(f"{stack.base}{path}")
    assert answer.status == 404
    violations = axe_violations(shared_page)
    assert not violations, "\n" + describe(violations, path)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_form_states_have_no_violation(fresh_page, stack, lang):
    problems, names = [], []
    for name in form_states(fresh_page, stack.base, lang):
        state_is_as_named(name, fresh_page)
        names.append(name)
        violations = axe_violations(fresh_page)
        if violations:
            problems.append(describe(violations, f"{fresh_page.url} [{name}]"))
    assert names == FORM_STATES
    assert not problems, "\n" + "\n".join(problems)


# Material lays pages out differently on a phone (drawer, no tabs, search
# behind a button): the pages visitors reach first, at a phone's width.
PHONE_PAGES = [page_url(path, lang) for lang in LANGUAGES
               for path in ("index.md", "report/index.md", "report/status.md", "get-help.md")]


@pytest.fixture(scope="module")
def phone_page(browser):
    with bounded_context(browser, ignore_https_errors=True, bypass_csp=True,
                         viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True) as context:
        yield context.new_page()


@pytest.mark.parametrize("path", PHONE_PAGES)
def test_phone_width_has_no_violation(phone_page, stack, path):
    phone_page.goto(f"{stack.base}/{path}")
    violations = axe_violations(phone_page)
    assert not violations, "\n" + describe(violations, f"/{path} at 360 px")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_phone_menu_open_has_no_violation(phone_page, stack, lang):
    phone_page.goto(f"{stack.base}{PREFIX[lang]}/report/")
    phone_page.click("label.md-header__button[for=__drawer]")
    phone_page.wait_for_function("document.getElementById('__drawer').checked")
    violations = axe_violations(phone_page)
    assert not violations, "\n" + describe(violations, f"{PREFIX[lang]}/report/ at 360 px, menu open")


@pytest.mark.parametrize(("lang", "query"), [("en", "report"), ("km", "រាយការណ៍")])
def test_search_results_have_no_violation(shared_page, stack, lang, query):
    shared_page.goto(f"{stack.base}{PREFIX[lang]}/")
    shared_page.locator(".md-search__input").fill(query)
    shared_page.wait_for_selector(".md-search-result__item")
    violations = axe_violations(shared_page)
    assert not violations, "\n" + describe(violations, f"{PREFIX[lang]}/ with search results for {query!r}")

"""The site builds cleanly and every page of the site map is in it, twice."""

from site_helpers import LANGUAGES, built_html, nav_pages


def test_mkdocs_build_strict_succeeds(build):
    result, _ = build
    assert result.returncode == 0, result.stderr[-4000:]
    assert "WARNING" not in result.stderr


def test_every_nav_page_is_built_in_both_languages(site):
    missing = [
        f"{language}:{path}"
        for path in nav_pages()
        for language in LANGUAGES
        if not built_html(site, path, language).exists()
    ]
    assert not missing


def test_site_map_pages_are_all_in_the_nav():
    # PRODUCT.md's site map, as page paths.
    required = {
        "index.md", "report/index.md", "report/status.md", "get-help.md",
        "resources/index.md", "resources/children.md", "resources/young-people.md",
        "resources/parents.md", "resources/professionals.md", "resources/schools.md",
        "resources/public-media.md", "topics/grooming.md", "topics/sextortion.md",
        "topics/self-generated-images.md", "topics/csam-and-reporting.md",
        "topics/cyberbullying.md", "topics/privacy.md", "topics/scams.md",
        "topics/ai-deepfakes.md", "topics/gaming-livestreams.md",
        "what-we-do/notice-and-takedown.md", "what-we-do/awareness-training.md",
        "what-we-do/research-advocacy.md", "about/index.md", "about/inhope.md",
        "about/law-enforcement.md", "about/partners.md", "safer-internet-day/index.md",
        "safer-internet-day/archive.md", "news/index.md", "faq.md", "glossary.md",
        "transparency.md", "privacy.md", "accessibility.md",
    }
    assert required <= set(nav_pages())

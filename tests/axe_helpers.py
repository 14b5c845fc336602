"""axe-core (node_modules/, pinned in package-lock.json) run inside a page in
Chromium, and the report form and status check driven through their states,
for tests/accessibility/ and benchmarks/accessibility.py."""

from __future__ import annotations

from site_helpers import ROOT

PREFIX = {"en": "", "km": "/km"}
SUBMIT = "form[data-ihc-report-form] button[type=submit]"

AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"

# WCAG 2.0, 2.1 and 2.2 A and AA (color-contrast is one of them), and axe's
# best-practice rules too: these catch what a screen reader user meets most
# (content outside landmarks, duplicate landmarks, skipped heading levels, a
# page without an h1) and are cheap to keep clean on a site this small.
# No rule is disabled anywhere.
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]

# Settled: the page has not scrolled since the frame before (a click may
# scroll an element into view, smoothly, and Material starts its header's
# fade on the scroll event), and no finite animation or transition runs.
SETTLED = """() => {
  const y = window.scrollY, still = window.__ihcLastScrollY === y;
  window.__ihcLastScrollY = y;
  return still && document.getAnimations().every(
    a => a.playState !== "running" || a.effect.getComputedTiming().iterations === Infinity);
}"""

RUN = """async (tags) => {
  const results = await axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
  return results.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => ({target: n.target.join(" "), summary: n.failureSummary})),
  }));
}"""


# axe 4.x checks only ids that ARIA attributes refer to; a label's `for` or a
# fragment link meets the first of two equal ids too (the report page had a
# heading and the form's checkbox both "anonymous"), so all ids are checked.
DUPLICATE_IDS = """() => {
  const seen = new Map();
  for (const e of document.querySelectorAll("[id]")) seen.set(e.id, [...(seen.get(e.id) || []), e]);
  return [...seen].filter(([, all]) => all.length > 1).map(([id, all]) => ({
    target: all.map(e => e.tagName.toLowerCase() + "#" + CSS.escape(id)).join(" and "),
    summary: `id "${id}" is used ${all.length} times`}));
}"""


def axe_violations(page) -> list[dict]:
    """axe's violations on the page as it is now (axe is injected once per
    document), and any id used twice."""
    if not AXE_JS.exists():
        raise FileNotFoundError(f"{AXE_JS} is missing: run `npm ci` (make test does)")
    # Colours mid-transition are neither the old nor the new ones (Material
    # fades the tabs out when the page scrolls): measure once they settle.
    page.wait_for_function(SETTLED, polling="raf", timeout=5000)
    if not page.evaluate("typeof window.axe === 'object'"):
        page.add_script_tag(path=str(AXE_JS))
    violations = page.evaluate(RUN, TAGS)
    duplicates = page.evaluate(DUPLICATE_IDS)
    if duplicates:
        violations.append({"id": "duplicate-id (own check)", "impact": "serious",
                           "help": "ids must be unique", "nodes": duplicates})
    return violations


def describe(violations: list[dict], where: str) -> str:
    """Per rule: page, rule id, impact, what it checks, the failing elements'
    selectors and axe's reason for the first of them."""
    lines = []
    for violation in violations:
        targets = [node["target"] for node in violation["nodes"]]
        why = " ".join(violation["nodes"][0]["summary"].split())[:300]
        lines.append(f"{where}: {violation['id']} ({violation['impact']}): {violation['help']}\n"
                     f"    {len(targets)} element(s): {', '.join(targets[:8])}{' ...' if len(targets) > 8 else ''}\n"
                     f"    {why}")
    return "\n".join(lines)


# The states of the report form and the status check, in the order form_states shows them.
FORM_STATES = ["report: blank", "report: empty submit (errors)", "report: invalid address and email (errors)",
               "report: form expired (error page)", "report: confirmation", "status: blank",
               "status: wrong reference (errors)", "status: answer"]


def form_states(page, base: str, lang: str):
    """Drive the report form and the status check through their states; yield
    the name of each state once the page shows it.  Reserved names only."""
    report = f"{base}{PREFIX[lang]}/report/"
    page.goto(report)
    yield "report: blank"
    page.click(SUBMIT)
    yield "report: empty submit (errors)"
    page.goto(report)
    page.uncheck("input[name=anonymous]")  # the contact fields show, to be checked too
    page.select_option("#seen_on", "website")
    page.fill("#urls", "example.com/fine\njavascript:alert(1)")
    page.fill("#email", "not an address")
    page.click(SUBMIT)
    yield "report: invalid address and email (errors)"
    page.goto(report)
    page.fill("#urls", "example.com/expired")
    page.context.clear_cookies()  # the session, and with it the CSRF token, is gone
    page.click(SUBMIT)
    yield "report: form expired (error page)"
    page.goto(report)
    page.select_option("#seen_on", "social_media")
    page.fill("#urls", f"example.com/{lang}/axe\nhttps://example.org/{lang}/axe")
    page.check("#danger")
    page.click(SUBMIT)
    reference = page.locator("[data-reference]").get_attribute("data-reference")
    yield "report: confirmation"
    status = f"{base}{PREFIX[lang]}/report/status/"
    page.goto(status)
    yield "status: blank"
    page.fill("#reference", "12")
    page.click("form button[type=submit]")
    yield "status: wrong reference (errors)"
    page.goto(status)
    page.fill("#reference", reference)
    page.click("form button[type=submit]")
    yield "status: answer"


def state_is_as_named(name: str, page) -> None:
    """Each state is the one its name says (errors shown, answer shown...)."""
    if "(errors)" in name:
        assert page.locator(".ihc-field__error").count() >= 1, name
    if "contact" in name or "email" in name:
        assert page.locator("#email").is_visible(), name
    if "error page" in name:
        assert page.locator("h1#error").count() == 1, name
    if name == "report: confirmation":
        assert page.locator("[data-reference]").count() == 1
    if name == "status: answer":
        assert page.locator(".ihc-answer h3").count() == 1

"""axe-core (node_modules/, pinned in package-lock.json) run inside a page in
Chromium, for tests/accessibility/ and benchmarks/accessibility.py."""

from __future__ import annotations

from site_helpers import ROOT

AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"

# WCAG 2.0, 2.1 and 2.2 A and AA (color-contrast is one of them), and axe's
# best-practice rules too: these catch what a screen reader user meets most
# (content outside landmarks, duplicate landmarks, skipped heading levels, a
# page without an h1) and are cheap to keep clean on a site this small.
# No rule is disabled anywhere.
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]

SETTLED = """() => document.getAnimations().every(
  a => a.playState !== "running" || a.effect.getComputedTiming().iterations === Infinity)"""

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
    page.wait_for_function(SETTLED, timeout=5000)
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

"""Every element the Tab key reaches shows where the focus is: on the report
form (as served, through nginx and gunicorn), the status check and a content
page (Get help: tables, telephone links), in both languages.  Reached with the keyboard
(Tab), not element.focus(), so it is what a keyboard user sees.

For each stop: the element is on screen (not zero-sized, not transparent,
not scrolled away) and has an indicator, an outline of at least 2 px or a
box shadow, whose colour stands out at 3:1 or more against what is around it
(WCAG 1.4.11, non-text contrast; 2.4.7, focus visible)."""

from __future__ import annotations

import pytest

from site_helpers import LANGUAGES, bounded_context

PREFIX = {"en": "", "km": "/km"}
PAGES = ["/report/", "/report/status/", "/get-help/"]
MOST_STOPS = 400  # more than any page here has

# Focus starts fades (the skip link, the language list, the tabs): jump each
# to its end, what the visitor sees a quarter second later, instead of waiting.
FINISH_TRANSITIONS = """() => document.getAnimations().forEach(
  a => { if (a.effect.getComputedTiming().iterations !== Infinity) a.finish(); })"""

FOCUS_STATE = r"""() => {
  const e = document.activeElement;
  const s = getComputedStyle(e);
  const r = e.getBoundingClientRect();
  let opacity = 1;
  for (let n = e; n; n = n.parentElement) opacity *= parseFloat(getComputedStyle(n).opacity);
  // What the indicator is drawn on: the backgrounds outside the element,
  // translucent ones laid over those beneath, on the page's white.
  const layers = [];
  for (let n = e.parentElement; n; n = n.parentElement) layers.push(getComputedStyle(n).backgroundColor);
  let around = [255, 255, 255];
  for (const bg of layers.reverse()) {
    const [r, g, b, a = 1] = bg.match(/[\d.]+/g).map(Number);
    around = [r * a + around[0] * (1 - a), g * a + around[1] * (1 - a), b * a + around[2] * (1 - a)];
  }
  around = `rgb(${around.map(Math.round).join(", ")})`;
  return {
    key: e.tagName + "|" + (e.id || "") + "|" + (e.getAttribute("href") || "") + "|" + e.className,
    name: (e.id ? "#" + e.id : e.tagName.toLowerCase() + (e.className ? "." + String(e.className).split(" ")[0] : ""))
          + " " + (e.innerText || e.getAttribute("aria-label") || e.value || "").trim().slice(0, 30).replace(/\s+/g, " "),
    isBody: e === document.body,
    focusVisible: e.matches(":focus-visible"),
    outlineStyle: s.outlineStyle, outlineWidth: parseFloat(s.outlineWidth), outlineColor: s.outlineColor,
    boxShadow: s.boxShadow, around,
    width: r.width, height: r.height, opacity, visibility: s.visibility,
    onScreen: r.bottom > 0 && r.right > 0 && r.top < innerHeight && r.left < innerWidth,
  };
}"""


def rgb(css: str) -> tuple[float, float, float, float]:
    """'rgb(1, 2, 3)' or 'rgba(1, 2, 3, 0.5)' -> (r, g, b, alpha)."""
    numbers = [float(x) for x in css[css.index("(") + 1:css.index(")")].replace(" ", "").split(",")]
    return (*numbers[:3], numbers[3] if len(numbers) == 4 else 1.0)


def over(color: str, background: str) -> tuple[float, float, float]:
    """color blended over an opaque background."""
    r, g, b, a = rgb(color)
    br, bg, bb, _ = rgb(background)
    return (r * a + br * (1 - a), g * a + bg * (1 - a), b * a + bb * (1 - a))


def luminance(color: tuple[float, float, float]) -> float:
    def channel(c: float) -> float:
        c /= 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = color
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(color: str, background: str) -> float:
    first, second = luminance(over(color, background)), luminance(over(background, "rgb(255, 255, 255)"))
    return (max(first, second) + 0.05) / (min(first, second) + 0.05)


def shadow_colors(box_shadow: str) -> list[str]:
    """The colours of a computed box-shadow ('rgb(…) 0px 0px 0px 5px, …')."""
    colors, rest = [], box_shadow
    while "rgb" in rest:
        start = rest.index("rgb")
        end = rest.index(")", start) + 1
        colors.append(rest[start:end])
        rest = rest[end:]
    return colors


def indicator_problem(state: dict) -> str | None:
    """Why this focus stop would not show where the focus is, or None."""
    if state["width"] < 1 or state["height"] < 1 or state["opacity"] < 0.1 or state["visibility"] != "visible":
        return f"not visible ({state['width']:.0f}x{state['height']:.0f} px, opacity {state['opacity']:.2f})"
    if not state["onScreen"]:
        return "off screen"
    if not state["focusVisible"]:
        return "does not match :focus-visible"
    colors = []
    if state["outlineStyle"] != "none" and state["outlineWidth"] >= 2:
        colors.append(state["outlineColor"])
    if state["boxShadow"] != "none":
        colors += shadow_colors(state["boxShadow"])
    if not colors:
        return f"no indicator (outline {state['outlineStyle']} {state['outlineWidth']} px, no box shadow)"
    best = max(contrast(color, state["around"]) for color in colors)
    if best < 3:
        return f"indicator {', '.join(colors)} is {best:.1f}:1 against {state['around']} (3:1 needed)"
    return None


def focus_stops(page) -> list[dict]:
    """Tab from the top of the page through every stop until focus leaves the
    page or comes back to the first one; the state of each stop."""
    stops, seen = [], set()
    for _ in range(MOST_STOPS):
        page.keyboard.press("Tab")
        page.evaluate(FINISH_TRANSITIONS)
        state = page.evaluate(FOCUS_STATE)
        if state["isBody"] or state["key"] in seen:
            return stops
        seen.add(state["key"])
        stops.append(state)
    raise AssertionError(f"more than {MOST_STOPS} focus stops on {page.url}")


@pytest.fixture(scope="module")
def keyboard_page(browser):
    with bounded_context(browser, ignore_https_errors=True) as context:
        yield context.new_page()


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("path", PAGES)
def test_every_focus_stop_is_visible(keyboard_page, stack, lang, path):
    keyboard_page.goto(f"{stack.base}{PREFIX[lang]}{path}")
    stops = focus_stops(keyboard_page)
    assert len(stops) >= 20, [s["name"] for s in stops]  # the whole page was walked, not just its top
    problems = [f"  {s['name']}: {why}" for s in stops if (why := indicator_problem(s))]
    assert not problems, f"{PREFIX[lang]}{path}, {len(stops)} focus stops:\n" + "\n".join(problems)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_form_fields_and_contact_fields_show_focus(keyboard_page, stack, lang):
    """The walk reaches the form's fields; unticking "anonymous" (Space) shows
    the contact fields, and Tab reaches each of them, visibly."""
    keyboard_page.goto(f"{stack.base}{PREFIX[lang]}/report/")
    names = [s["name"].split(" ")[0] for s in focus_stops(keyboard_page)]
    for field in ("#seen_on", "#urls", "#description", "#danger", "#anonymous"):
        assert field in names, (field, names)
    keyboard_page.focus("#anonymous")  # back to the box, then the keyboard again
    keyboard_page.keyboard.press("Space")
    assert not keyboard_page.locator("#anonymous").is_checked()
    for field in ("#name", "#email", "#phone"):
        keyboard_page.keyboard.press("Tab")
        keyboard_page.evaluate(FINISH_TRANSITIONS)
        state = keyboard_page.evaluate(FOCUS_STATE)
        assert state["name"].split(" ")[0] == field
        assert indicator_problem(state) is None, (field, indicator_problem(state))

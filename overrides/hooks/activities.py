"""Games for children and quizzes for young people, written as data in a
page's front matter (`activity:`, the format is in CONTENT.md) and rendered
where the page says `<!-- ihc-activity -->`.

The markup is complete without JavaScript: every scenario is a heading, its
situation and its choices, and each choice opens (details/summary) to show
its feedback, then the help route.  assets/javascripts/activity.js turns it
into a game played one scenario at a time.  Nothing a player does is stored
or sent: the page has no form, and the script keeps its state in variables.

The interface words ("What would you do?", "Next", "1 of 12") are written
here in the page's language, with Khmer digits on Khmer pages; the page
gives only its own content.  A malformed activity fails the build.
"""

from __future__ import annotations

import html
import json
import re
import sys
from pathlib import Path

from mkdocs.exceptions import PluginError

ROOT = Path(__file__).resolve().parent.parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from report_endpoint.khmer_digits import TO_KHMER  # noqa: E402

ILLUSTRATIONS = ROOT / "overrides" / "assets" / "illustrations"
MARKER = re.compile(r"^<!--\s*ihc-activity\s*-->\s*$", re.M)
ITEM_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
KINDS = {
    # kind: (verdicts allowed, at least this many items)
    "game": ({"best", "good", "think-again"}, 10),
    "quiz": ({"right", "wrong"}, 8),
}
WORDS = {
    "en": {
        "question": "What would you do?",
        "count": {"game": "Scenario {n} of {total}", "quiz": "Question {n} of {total}"},
        "choices": "Choose an answer",
        "best": "Great choice!", "good": "That can help.", "think-again": "Let's think about it.",
        "right": "That's right.", "wrong": "Not quite.",
        "help": "Remember",
        "end": {"game": "You played to the end", "quiz": "You finished the quiz"},
        "next": "Next", "last": "Finish", "again": "Play again", "start": "Start",
        "score": "You chose the right answer first time in {right} of {total} questions.",
        "played": "Well done: you thought about {total} things that can happen online.",
        "private": {"game": "Nothing you choose is saved or sent anywhere.",
                    "quiz": "Nothing you choose is saved or sent anywhere."},
    },
    "km": {
        "question": "តើប្អូននឹងធ្វើអ្វី?",
        "count": {"game": "ស្ថានភាពទី {n} ក្នុងចំណោម {total}", "quiz": "សំណួរទី {n} ក្នុងចំណោម {total}"},
        "choices": "ជ្រើសរើសចម្លើយ",
        "best": "ជម្រើសល្អណាស់!", "good": "នេះក៏អាចជួយបានដែរ។", "think-again": "តោះគិតជាមួយគ្នាបន្តិច។",
        "right": "ត្រឹមត្រូវ។", "wrong": "មិនទាន់ត្រឹមត្រូវទេ។",
        "help": "ចងចាំ",
        "end": {"game": "ប្អូនលេងដល់ចប់ហើយ", "quiz": "អ្នកបានឆ្លើយសំណួរទាំងអស់ហើយ"},
        "next": "បន្ទាប់", "last": "បញ្ចប់", "again": "លេងម្តងទៀត", "start": "ចាប់ផ្តើម",
        "score": "អ្នកបានជ្រើសចម្លើយត្រឹមត្រូវតាំងពីលើកទីមួយ {right} ក្នុងចំណោម {total} សំណួរ។",
        "played": "ពូកែណាស់៖ ប្អូនបានគិតអំពីរឿង {total} ដែលអាចកើតឡើងនៅលើអ៊ីនធឺណិត។",
        "private": {"game": "អ្វីដែលប្អូនជ្រើសរើស មិនត្រូវបានរក្សាទុក ឬផ្ញើទៅកន្លែងណាទេ។",
                    "quiz": "អ្វីដែលអ្នកជ្រើសរើស មិនត្រូវបានរក្សាទុក ឬផ្ញើទៅកន្លែងណាទេ។"},
    },
}


def local_digits(value, lang: str) -> str:
    return str(value).translate(TO_KHMER) if lang == "km" else str(value)


def check(activity, where: str) -> None:
    """Fail the build on an activity a player could not finish or would misread."""
    if not isinstance(activity, dict) or activity.get("kind") not in KINDS:
        raise PluginError(f"{where}: activity.kind must be one of {sorted(KINDS)}")
    verdicts, minimum = KINDS[activity["kind"]]
    items = activity.get("items") or []
    if len(items) < minimum:
        raise PluginError(f"{where}: a {activity['kind']} needs at least {minimum} items, it has {len(items)}")
    if not activity.get("help") or not activity.get("end"):
        raise PluginError(f"{where}: activity.help and activity.end are required")
    seen = set()
    for item in items:
        item_id = str(item.get("id", ""))
        if not ITEM_ID.match(item_id) or item_id in seen:
            raise PluginError(f"{where}: item id '{item_id}' is missing, not lowercase-hyphenated, or used twice")
        seen.add(item_id)
        for field in ("title", "situation"):
            if not str(item.get(field, "")).strip():
                raise PluginError(f"{where}: item '{item_id}' has no {field}")
        if activity["kind"] == "quiz" and not item.get("question"):
            raise PluginError(f"{where}: quiz item '{item_id}' has no question")
        picture = item.get("picture")
        if picture and not (ILLUSTRATIONS / f"{picture}.svg").is_file():
            raise PluginError(f"{where}: item '{item_id}': no illustration '{picture}' in {ILLUSTRATIONS}")
        choices = item.get("choices") or []
        if not 2 <= len(choices) <= 4:
            raise PluginError(f"{where}: item '{item_id}' needs 2 to 4 choices")
        for choice in choices:
            if choice.get("verdict") not in verdicts or not choice.get("text") or not choice.get("feedback"):
                raise PluginError(f"{where}: item '{item_id}': every choice needs text, feedback and a verdict in {sorted(verdicts)}")
        found = [c["verdict"] for c in choices]
        if activity["kind"] == "quiz" and found.count("right") != 1:
            raise PluginError(f"{where}: quiz item '{item_id}' needs exactly one right answer")
        if activity["kind"] == "game" and "best" not in found:
            raise PluginError(f"{where}: item '{item_id}' needs at least one best choice")


def flat(text) -> str:
    """Front-matter text as one line of Markdown (folded YAML may keep newlines)."""
    return " ".join(str(text).split())


def render(activity: dict, lang: str) -> str:
    words = WORDS[lang]
    kind = activity["kind"]
    items = activity["items"]
    total = len(items)
    strings = {key: words[key] for key in ("next", "last", "again", "start", "score", "played")}
    strings["digits"] = lang == "km"
    out = [
        f'<div class="ihc-activity ihc-activity--{kind}" data-ihc-activity="{kind}" data-ihc-read-aloud '
        f"data-ihc-strings='{html.escape(json.dumps(strings, ensure_ascii=False), quote=True)}' markdown=\"1\">",
        "",
        f'<p class="ihc-activity__private">{words["private"][kind]}</p>',
        "",
    ]
    for number, item in enumerate(items, 1):
        count = words["count"][kind].format(n=local_digits(number, lang), total=local_digits(total, lang))
        question = item.get("question") or words["question"]
        help_text = item.get("help") or activity["help"]
        out += [
            f'<section class="ihc-activity__item" data-ihc-item="{item["id"]}" aria-labelledby="item-{item["id"]}" markdown="1">',
            "",
            f'<h2 class="ihc-activity__title" id="item-{item["id"]}" markdown="span">'
            f'<span class="ihc-activity__count">{count}</span> {flat(item["title"])}</h2>',
            "",
        ]
        if item.get("picture") and number % 4 == 1:
            # A picture on every fourth scenario: inlined, since fetching one when
            # its scenario is reached would tell the server how far a child
            # got; twelve, six or four take a phone's first visit over 100 KB.
            out += [f'<span class="ihc-picture ihc-activity__picture" data-ihc-picture="{item["picture"]}"></span>', ""]
        out += [
            f'<p class="ihc-activity__situation" markdown="span">{flat(item["situation"])}</p>',
            "",
            f'<p class="ihc-activity__question" markdown="span">{flat(question)}</p>',
            "",
            f'<ul class="ihc-activity__choices" aria-label="{words["choices"]}" markdown="1">',
        ]
        for choice in item["choices"]:
            verdict = choice["verdict"]
            out += [
                f'<li markdown="1"><details class="ihc-activity__choice" data-verdict="{verdict}" markdown="1">'
                f'<summary markdown="span">{flat(choice["text"])}</summary>'
                f'<p class="ihc-activity__feedback" markdown="span"><strong class="ihc-activity__verdict">{words[verdict]}</strong> '
                f"{flat(choice['feedback'])}</p></details></li>",
            ]
        out += [
            "</ul>",
            "",
            f'<p class="ihc-activity__help" markdown="span"><strong>{words["help"]}</strong> {flat(help_text)}</p>',
            "",
            "</section>",
            "",
        ]
    out += [
        '<section class="ihc-activity__end" aria-labelledby="activity-end" markdown="1">',
        "",
        f'<h2 id="activity-end">{words["end"][kind]}</h2>',
        "",
        '<p class="ihc-activity__result" data-ihc-result hidden></p>',
        "",
        str(activity["end"]).strip(),
        "",
        "</section>",
        "",
        "</div>",
    ]
    return "\n".join(out)


def on_page_markdown(markdown: str, page, config, **kwargs) -> str:
    activity = page.meta.get("activity")
    has_marker = bool(MARKER.search(markdown))
    if activity is None and not has_marker:
        return markdown
    where = page.file.src_uri
    if activity is None or not has_marker:
        raise PluginError(f"{where}: an activity needs both the front matter `activity:` and the `<!-- ihc-activity -->` marker")
    check(activity, where)
    lang = config.theme.get("language", "en")
    return MARKER.sub(lambda match: render(activity, lang), markdown, count=1)

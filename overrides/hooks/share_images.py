"""Share cards: what Facebook, Messenger, Telegram and X show for a link.

Every page gets a share image, a 1200x630 PNG with the page's title in its
own language, the site's name and its shield on the brand colour, drawn at
build time with Pillow into assets/share/<page path>.png.  overrides/main.html
writes the Open Graph and Twitter card tags from page.meta["share"], which
this hook sets: the image's absolute address (from site_url), its size and
text alternative, and the page's locale and its alternate.

- Khmer is shaped by libraqm (Pillow's RAQM layout), with Noto Sans Khmer
  Bold, the site's own font (FreeType reads the woff2 as it is); Latin text
  uses DejaVu Sans Bold, the PDFs' Latin font (fonts-dejavu-core, in the
  Makefile's BUILD_PACKAGES).  Characters a font lacks fall back to the other.
- Titles wrap between words: at spaces, and inside Khmer runs between the
  words of ICU's segmentation (khmer_search_index.khmer_words, as search does).
- Each image is quantized to a small palette (well under 60 KB) and cached by
  content in .cache/share/<hash>.png: a rebuild with nothing changed copies
  files and draws nothing (about 20 ms a card when it must draw).
- The offline kit (extra.offline) gets no share images and no tags: nobody
  shares a file:// link, and the kit stays small.
"""

from __future__ import annotations

import hashlib
import html
import os
import re
import shutil
import sys
from functools import lru_cache
from io import BytesIO
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from PIL import Image, ImageDraw, ImageFont

HOOKS = Path(__file__).resolve().parent
ROOT = HOOKS.parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# ICU's Khmer words, where the PDFs and the search index take them from.
from resources.khmer_breaks import KHMER_RUN, khmer_words  # noqa: E402

CACHE = ROOT / ".cache" / "share"
SHARE_DIR = "assets/share"
WIDTH, HEIGHT = 1200, 630
MAX_BYTES = 60 * 1024

KHMER_FONT = HOOKS.parent / "assets" / "fonts" / "noto-sans-khmer-khmer-700-normal.woff2"
LATIN_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")
if not LATIN_FONT.is_file():  # without fonts-dejavu-core: Noto Sans Khmer's own Latin letters
    LATIN_FONT = KHMER_FONT

LOCALES = {"en": "en_US", "km": "km_KH"}

# The brand colours of ihc.css (--md-primary-fg-color and friends).
TEAL = (11, 85, 99)
TEAL_DARK = (7, 59, 69)
TEAL_LIGHT = (19, 122, 140)
SKY = (143, 208, 222)
RED = (179, 38, 30)
WHITE = (255, 255, 255)

# Title sizes tried from the largest down, each with its most lines.
TITLE_SIZES = ((76, 2), (68, 3), (60, 3), (52, 4), (44, 4))
TEXT_LEFT, TEXT_RIGHT = 80, WIDTH - 80
TITLE_TOP, TITLE_BOTTOM = 190, 520

# Bump to redraw every cached image after a change of design.
DESIGN = "1"


# ── Text ────────────────────────────────────────────────────────────────────

@lru_cache(maxsize=None)
def font(path: str, size: int, engine: ImageFont.Layout = ImageFont.Layout.RAQM) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size, layout_engine=engine)


@lru_cache(maxsize=None)
def coverage(path: str) -> frozenset[int]:
    from fontTools.ttLib import TTFont

    with TTFont(path, lazy=True) as opened:
        return frozenset(opened.getBestCmap())


def font_paths(language: str) -> tuple[str, str]:
    """The language's own font first, then the fallback."""
    pair = (str(KHMER_FONT), str(LATIN_FONT))
    return pair if language == "km" else pair[::-1]


def runs(text: str, language: str) -> list[tuple[str, str]]:
    """The text cut into runs of one font each: (text, font path)."""
    first, second = font_paths(language)
    have = coverage(first)
    found: list[tuple[str, str]] = []
    for char in text:
        # Khmer always in the Khmer font, so that a cluster is never split.
        if KHMER_RUN.match(char):
            path = str(KHMER_FONT)
        else:
            path = first if ord(char) in have or char.isspace() else second
        if found and found[-1][1] == path:
            found[-1] = (found[-1][0] + char, path)
        else:
            found.append((char, path))
    return found


def run_language(text: str) -> str | None:
    return "km" if KHMER_RUN.search(text) else None


def line_width(text: str, language: str, size: int, engine=ImageFont.Layout.RAQM) -> float:
    return sum(font(path, size, engine).getlength(part, language=run_language(part) if engine == ImageFont.Layout.RAQM else None)
               for part, path in runs(text, language))


def draw_line(draw: ImageDraw.ImageDraw, xy: tuple[float, float], text: str, language: str, size: int,
              fill, engine=ImageFont.Layout.RAQM) -> None:
    """One line from its left baseline, run by run."""
    x, y = xy
    for part, path in runs(text, language):
        face = font(path, size, engine)
        options = {"language": run_language(part)} if engine == ImageFont.Layout.RAQM else {}
        draw.text((x, y), part, font=face, fill=fill, anchor="ls", **options)
        x += face.getlength(part, **options)


def pieces(text: str) -> list[str]:
    """The title cut where a line may break: after spaces, and between
    the words of a Khmer run.  Joined back they give the text."""
    found: list[str] = []
    for chunk in text.replace("\u200b", "").split(" "):
        if not chunk:
            continue
        parts: list[str] = []
        position = 0
        for match in KHMER_RUN.finditer(chunk):
            if match.start() > position:
                parts.append(chunk[position:match.start()])
            parts.extend(khmer_words(match.group()))
            position = match.end()
        if position < len(chunk):
            parts.append(chunk[position:])
        # Punctuation stays on the line of the word before it.
        merged: list[str] = []
        for part in parts:
            if merged and not any(c.isalnum() or KHMER_RUN.match(c) for c in part.replace("\u17d2", "")):
                merged[-1] += part
            else:
                merged.append(part)
        merged[-1] += " "
        found.extend(merged)
    if found:
        found[-1] = found[-1].rstrip(" ")
    return found


def wrap(text: str, language: str, size: int, width: float) -> list[str]:
    lines: list[str] = []
    current = ""
    for piece in pieces(text):
        candidate = current + piece
        if current and line_width(candidate.rstrip(" "), language, size) > width:
            lines.append(current.rstrip(" "))
            current = piece
        else:
            current = candidate
    if current.strip():
        lines.append(current.rstrip(" "))
    return lines


def fit_title(title: str, language: str) -> tuple[int, list[str]]:
    """The largest size at which the title fits its box."""
    width = TEXT_RIGHT - TEXT_LEFT
    for size, most in TITLE_SIZES:
        lines = wrap(title, language, size, width)
        if len(lines) <= most and all(line_width(line, language, size) <= width for line in lines):
            return size, lines
    size, most = TITLE_SIZES[-1]
    lines = wrap(title, language, size, width)
    if len(lines) > most:
        lines = lines[:most]
        while lines[-1] and line_width(lines[-1] + "…", language, size) > width:
            lines[-1] = lines[-1][:-1]
        lines[-1] += "…"
    return size, lines


def line_height(language: str, size: int) -> int:
    # Khmer stacks subscripts below and vowels above: more room per line.
    return round(size * (1.62 if language == "km" else 1.22))


# ── The card ────────────────────────────────────────────────────────────────

def bezier(p0, p1, p2, p3, steps=12):
    for i in range(1, steps + 1):
        t = i / steps
        u = 1 - t
        yield (u ** 3 * p0[0] + 3 * u * u * t * p1[0] + 3 * u * t * t * p2[0] + t ** 3 * p3[0],
               u ** 3 * p0[1] + 3 * u * u * t * p1[1] + 3 * u * t * t * p2[1] + t ** 3 * p3[1])


def shield(draw: ImageDraw.ImageDraw, left: float, top: float, scale: float, ink, ground) -> None:
    """The site's logo (overrides/.icons/ihc/shield.svg, a 24-unit square)."""
    def at(points):
        return [(left + x * scale, top + y * scale) for x, y in points]

    outer = [(12, 2), (4, 5), (4, 11), *bezier((4, 11), (4, 16), (7.4, 20.7), (12, 22)),
             *bezier((12, 22), (16.6, 20.7), (20, 16), (20, 11)), (20, 5)]
    inner = [(12, 4.2), (18, 6.4), (18, 11), *bezier((18, 11), (18, 15), (15.4, 18.8), (12, 19.9)),
             *bezier((12, 19.9), (8.6, 18.8), (6, 15), (6, 11)), (6, 6.4)]
    draw.polygon(at(outer), fill=ink)
    draw.polygon(at(inner), fill=ground)
    draw.rectangle(at([(11, 7), (13, 13)]), fill=ink)
    draw.rectangle(at([(11, 15), (13, 17)]), fill=ink)


@lru_cache(maxsize=8)
def background(site_name: str, language: str, domain: str) -> Image.Image:
    """What every card of a language shares: colours, shield, name, address."""
    image = Image.new("RGB", (WIDTH, HEIGHT), TEAL)
    draw = ImageDraw.Draw(image)
    # Two circles on the right, as behind the site's illustrations.
    draw.ellipse((820, -260, 1480, 400), fill=TEAL_LIGHT)
    draw.ellipse((960, 330, 1360, 730), fill=TEAL_DARK)
    # The shield and the site's name.
    shield(draw, TEXT_LEFT - 6, 58, 4.2, WHITE, TEAL)
    name_size = 34 if language == "km" else 36
    draw_line(draw, (TEXT_LEFT + 100, 128), site_name, language, name_size, WHITE)
    # The address at the foot, over a red band.
    draw.rectangle((0, HEIGHT - 18, WIDTH, HEIGHT), fill=RED)
    draw_line(draw, (TEXT_LEFT, HEIGHT - 48), domain, "en", 28, SKY)
    return image


def draw_card(title: str, site_name: str, language: str, domain: str) -> Image.Image:
    image = background(site_name, language, domain).copy()
    draw = ImageDraw.Draw(image)
    # The title, centred in its box.
    size, lines = fit_title(title, language)
    step = line_height(language, size)
    block = step * (len(lines) - 1) + size
    baseline = TITLE_TOP + (TITLE_BOTTOM - TITLE_TOP - block) / 2 + size
    for line in lines:
        draw_line(draw, (TEXT_LEFT, baseline), line, language, size, WHITE)
        baseline += step
    return image


def blend(ground, ink, amount: float) -> tuple[int, int, int]:
    return tuple(round(g + (i - g) * amount) for g, i in zip(ground, ink))


@lru_cache(maxsize=1)
def palette() -> Image.Image:
    """The cards' 32 colours: each ground with white text's anti-aliased
    edges in 8 steps, the address's sky blue on teal, and the red band.
    Mapping to a fixed palette takes 3 ms where an adaptive one takes 15."""
    colours = [blend(ground, WHITE, step / 7) for ground in (TEAL, TEAL_LIGHT, TEAL_DARK) for step in range(8)]
    colours += [blend(TEAL, SKY, step / 6) for step in range(1, 7)] + [RED, blend(TEAL, RED, 0.5)]
    image = Image.new("P", (1, 1))
    image.putpalette([value for colour in colours for value in colour])
    return image


def png_bytes(image: Image.Image) -> bytes:
    small = image.quantize(palette=palette(), dither=Image.Dither.NONE)
    out = BytesIO()
    small.save(out, format="PNG", compress_level=6)
    if out.tell() > MAX_BYTES:
        raise ValueError(f"share image of {out.tell()} bytes, over {MAX_BYTES}")
    return out.getvalue()


@lru_cache(maxsize=1)
def _fingerprint() -> str:
    digest = hashlib.sha256(DESIGN.encode())
    for path in (Path(__file__), ROOT / "resources" / "khmer_breaks.py", KHMER_FONT, LATIN_FONT):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def card_key(title: str, site_name: str, language: str, domain: str) -> str:
    digest = hashlib.sha256(_fingerprint().encode())
    digest.update("\0".join((title, site_name, language, domain)).encode())
    return digest.hexdigest()[:32]


def cached_card(title: str, site_name: str, language: str, domain: str, cache: Path = CACHE) -> Path:
    """The card's PNG in the cache, drawn only if it is not there yet."""
    path = cache / f"{card_key(title, site_name, language, domain)}.png"
    if not path.exists():
        data = png_bytes(draw_card(title, site_name, language, domain))
        cache.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f"{path.stem}.{os.getpid()}.tmp")
        partial.write_bytes(data)
        partial.replace(path)
    return path


Job = tuple[tuple[str, str, str, str], str]


def publish(jobs: list[Job], site_dir: Path, cache: Path = CACHE) -> int:
    """Each job's card, drawn if not cached, copied to site_dir/<relative>.
    Returns how many were drawn.  One at a time: two threads were no faster
    (benchmarks/share_images.py: about 20 ms a card, 3 s for 160 cold)."""
    drawn = 0
    for card, relative in jobs:
        source = cache / f"{card_key(*card)}.png"
        if not source.exists():
            drawn += 1
        source = cached_card(*card, cache=cache)
        target = site_dir / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    return drawn


# ── MkDocs events ───────────────────────────────────────────────────────────

_queue: list[Job] = []


def image_path(page_url: str) -> str:
    """assets/share/<page>.png: 'km/report/' -> assets/share/km/report.png,
    '' -> assets/share/index.png, 'km/' -> assets/share/km/index.png."""
    stem = page_url.split("#")[0].strip("/")
    if stem.endswith(".html"):
        stem = stem[:-5]
    if not stem or stem in LOCALES:
        stem = f"{stem}/index".lstrip("/")
    return f"{SHARE_DIR}/{stem}.png"


def heading(page) -> str | None:
    """The page's H1 as text, from its table of contents."""
    for item in page.toc or ():
        if item.level == 1 and item.title:
            return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", "", item.title))).strip()
    return None


def share_title(page, config) -> str:
    """The title a shared link shows: the page's own H1 rather than its
    short name in the navigation ("Facebook: a guide for families", and on
    the Khmer page its Khmer heading, not the nav's "Facebook")."""
    if page.is_homepage:
        return config.site_name
    return (page.meta.get("title") or heading(page) or page.title or config.site_name).strip()


def on_pre_build(config, **kwargs):
    _queue.clear()


def on_page_context(context, page, config, nav, **kwargs):
    if config.extra.get("offline") or not config.site_url:
        return context
    language = config.theme["language"] if config.theme["language"] in LOCALES else "en"
    other = "km" if language == "en" else "en"
    title = share_title(page, config)
    site_url = config.site_url if config.site_url.endswith("/") else config.site_url + "/"
    relative = image_path(page.url)
    page.meta["share"] = {
        "title": title,
        "description": page.meta.get("description") or config.site_description or "",
        "type": "website" if page.is_homepage else "article",
        "url": page.canonical_url or urljoin(site_url, page.url),
        "image": urljoin(site_url, relative),
        "width": WIDTH,
        "height": HEIGHT,
        "alt": f"{title} – {config.site_name}" if title != config.site_name else title,
        "locale": LOCALES[language],
        "locale_alternate": LOCALES[other],
        "site_name": config.site_name,
    }
    domain = urlsplit(site_url).netloc
    _queue.append(((title, config.site_name, language, domain), relative))
    return context


def on_post_build(config, **kwargs):
    """Draws the cards not in the cache yet and copies every page's card
    into the site.  Runs once per language (mkdocs-static-i18n builds the
    other language from its own on_post_build, at priority -100)."""
    jobs = list(_queue)
    _queue.clear()
    if jobs:
        publish(jobs, Path(config.site_dir))

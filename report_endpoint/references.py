"""The 8-digit reference a reporter keeps: random, never sequential."""

from __future__ import annotations

import re
import secrets

from .khmer_digits import FROM_KHMER

LENGTH = 8
# What people put between digits when they copy or read out a number.
SPACING = re.compile(r"[\s\-\u2010-\u2015\u2212._/\u200b]+")
REFERENCE = re.compile(rf"^[0-9]{{{LENGTH}}}$")


def new_reference() -> str:
    """8 random digits from the operating system's CSPRNG."""
    return f"{secrets.randbelow(10 ** LENGTH):0{LENGTH}d}"


def normalise_reference(typed: str) -> str | None:
    """A typed reference as 8 ASCII digits (Khmer digits, spaces and dashes
    accepted), or None when it is not one."""
    text = SPACING.sub("", (typed or "").translate(FROM_KHMER))
    return text if REFERENCE.match(text) else None

"""Passwords: argon2id hashes (argon2-cffi, OWASP's first choice), and a
strength check by zxcvbn's estimate of how many guesses a password takes,
rather than rules about digits and symbols (NIST SP 800-63B: length and
known-weak checks, no composition rules)."""

from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 12
MAX_LENGTH = 256       # argon2 takes any length; a bound keeps a request cheap
MIN_SCORE = 3          # zxcvbn: 3 = "safely unguessable: moderate protection from offline attacks"

_hasher = PasswordHasher()   # argon2id, with argon2-cffi's RFC 9106 low-memory defaults


def hash_password(password: str) -> str:
    return _hasher.hash(password)


@lru_cache(maxsize=1)
def _stand_in() -> str:
    """A hash to check against when there is no account, so that an unknown
    e-mail costs the same time as a known one."""
    return _hasher.hash("no account has this password")


def verify(stored: str | None, password: str) -> bool:
    """True if password matches stored; with no stored hash, the same work
    is done and the answer is False."""
    try:
        return _hasher.verify(stored or _stand_in(), password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return _hasher.check_needs_rehash(stored)


def weakness(password: str, *known: str) -> str | None:
    """None for a strong enough password; else "short", "long" or "guessable"
    (known: the person's own e-mail, name and organisation, which zxcvbn
    counts as easy guesses)."""
    if len(password) < MIN_LENGTH:
        return "short"
    if len(password) > MAX_LENGTH:
        return "long"
    from zxcvbn import zxcvbn
    # zxcvbn's time grows with length; its first 100 characters are enough to judge.
    if zxcvbn(password[:100], user_inputs=[k for k in known if k])["score"] < MIN_SCORE:
        return "guessable"
    return None

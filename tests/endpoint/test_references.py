"""The 8-digit reference: random, and accepted as people type it."""

import pytest

from report_endpoint.references import new_reference, normalise_reference


def test_references_are_eight_random_digits():
    references = {new_reference() for _ in range(2000)}
    assert all(len(r) == 8 and r.isdigit() for r in references)
    assert len(references) > 1990  # random, not sequential or repeating
    ordered = sorted(int(r) for r in references)
    assert max(b - a for a, b in zip(ordered, ordered[1:])) > 1


@pytest.mark.parametrize(("typed", "expected"), [
    ("12345678", "12345678"),
    ("1234 5678", "12345678"),
    ("1234-5678", "12345678"),
    (" 12-34 56-78 ", "12345678"),
    ("១២៣៤៥៦៧៨", "12345678"),
    ("១២៣៤ ៥៦៧៨", "12345678"),
    ("១២៣៤–៥៦៧៨", "12345678"),
    ("1234567", None),
    ("123456789", None),
    ("1234567a", None),
    ("", None),
    ("١٢٣٤٥٦٧٨", None),
])
def test_typed_references(typed, expected):
    assert normalise_reference(typed) == expected

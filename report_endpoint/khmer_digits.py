"""Khmer digits (០-៩), defined once for the service, the site's build hooks,
the PDFs and the tests."""

WESTERN = "0123456789"
KHMER = "០១២៣៤៥៦៧៨៩"
TO_KHMER = str.maketrans(WESTERN, KHMER)
FROM_KHMER = str.maketrans(KHMER, WESTERN)


def khmer_digits(value) -> str:
    """value as text, with every Western digit written as a Khmer one."""
    return str(value).translate(TO_KHMER)

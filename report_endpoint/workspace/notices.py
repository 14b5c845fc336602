"""The text of a notice, written for its recipient, for the analyst to
copy into the channel that recipient uses (the police's, the host's abuse
address, ICCAM for a partner hotline, INTERPOL through the police).

It holds what the recipient needs to act and nothing about the reporter:
the hotline's reference, the address as text, the assessment, the hosting
country and the date.  It never describes the material."""

from __future__ import annotations

from flask_babel import force_locale, format_datetime, gettext as _

from ..models import Report, ReportedUrl

# The language each recipient reads: the Cambodian police in Khmer, the
# others (hosts, partner hotlines, INTERPOL) in English.
LANGUAGE = {"police": "km", "host": "en", "partner_hotline": "en", "interpol": "en"}


def assessment_words(assessment: str | None) -> str:
    return {
        "baseline": _("child sexual abuse material under the INHOPE/INTERPOL international baseline"),
        "national": _("child sexual abuse material under Cambodian law"),
    }.get(assessment or "", _("not yet assessed as illegal"))


def text(report: Report, url: ReportedUrl, number: int, recipient: str) -> tuple[str, str]:
    """(language, text) of the notice for recipient."""
    language = LANGUAGE[recipient]
    with force_locale(language):
        country = url.hosting_country or _("not yet traced")
        facts = [
            _("Reference: %(reference)s/%(number)s", reference=report.reference, number=number),
            _("Address: %(url)s", url=url.url),
            _("Assessment: %(what)s", what=assessment_words(url.assessment)),
            _("Hosting country: %(country)s", country=country),
            _("Reported to the hotline: %(when)s UTC",
              when=format_datetime(report.created_at, "yyyy-MM-dd HH:mm", rebase=False)),
        ]
        opening = {
            "police": _("Internet Hotline Cambodia (APLE Cambodia) passes you a report of child sexual abuse "
                        "material online, for investigation. Please do not pass the address on outside your "
                        "investigation."),
            "host": _("Internet Hotline Cambodia, a member of INHOPE, has found child sexual abuse material at "
                      "an address on your service. Please remove or disable access to it as soon as possible, "
                      "preserve the related data for law enforcement, and confirm to us when it is done. Do not "
                      "tell the account holder before the police agree."),
            "partner_hotline": _("Internet Hotline Cambodia passes you this address through ICCAM, as it is "
                                 "hosted in your country. Please take it up under your notice-and-takedown "
                                 "procedure and let us know when it is removed."),
            "interpol": _("Internet Hotline Cambodia passes you an address of child sexual abuse material for "
                          "action through INTERPOL's channels, as no partner hotline covers the country "
                          "that hosts it."),
        }[recipient]
        closing = _("Internet Hotline Cambodia, run by APLE Cambodia")
    return language, "\n\n".join([opening, "\n".join(facts), closing])

"""The journey of a report: the analysts' stages, and the coarse public stage
a reporter sees.  Internal notes, classifications and partners never leave
this mapping."""

from __future__ import annotations

from flask_babel import get_translations


def N_(message: str) -> str:
    """Mark a message for the catalog; it is translated where it is shown."""
    return message


# Internal stages, in order (INHOPE notice and takedown).
INTERNAL_STAGES = ("received", "triage", "assessed", "hosting_traced", "notified", "monitored", "removed", "closed")

# Assessment of one URL.
ASSESSMENTS = ("baseline", "national", "not_illegal", "not_accessible", "out_of_remit", "duplicate")
ILLEGAL = {"baseline", "national"}

# Who a notice went to.
NOTICE_RECIPIENTS = ("police", "host", "partner_hotline", "interpol")

PUBLIC = {
    "received": (N_("Received"), N_("We have your report. An analyst will look at it soon.")),
    "received_known": (N_("Received, already known to us"),
                       N_("We already knew about the address you sent and are working on it. Thank you for reporting it.")),
    "assessing": (N_("Being assessed"), N_("An analyst is checking the addresses against the law and international standards.")),
    "no_action": (N_("Assessed, no further action"),
                  N_("We checked the addresses. We could not act on them: for example they were not illegal, no longer online, or outside what we can handle.")),
    "action": (N_("Action taken"), N_("We found illegal material and asked the people who can remove it to do so: the police, the host, or a partner hotline.")),
    "removed": (N_("Content removed"), N_("The material you reported has been removed from the address you gave.")),
    "closed": (N_("Closed"), N_("We have finished working on this report. Thank you for helping to protect children.")),
    "unknown": (N_("Not found"), N_("We could not find this reference. Check the 8 digits and try again.")),
}


def public_text(key: str) -> tuple[str, str]:
    """The public stage's label and meaning in the request's language."""
    translations = get_translations()  # once, not per string: this is on the hot path
    label, meaning = PUBLIC[key]
    return translations.gettext(label), translations.gettext(meaning)


def public_stage(stage: str, assessments: list[str | None], all_known: bool) -> str:
    """The public stage for an internal stage and the URLs' assessments."""
    if stage == "received":
        return "received_known" if all_known else "received"
    if stage == "triage":
        return "assessing"
    if stage == "assessed":
        if any(a in ILLEGAL for a in assessments):
            return "action"
        return "no_action" if assessments and all(a is not None for a in assessments) else "assessing"
    if stage in ("hosting_traced", "notified", "monitored"):
        return "action"
    if stage == "removed":
        return "removed"
    return "closed"

"""Names of statuses, priorities and channels as people read them (translated where shown)."""

from __future__ import annotations

import contextlib
from datetime import datetime

from linka.core.i18n import N_, Translator

STATUS_LABELS: dict[str, str] = {
    "new": N_("New"),
    "chatting": N_("Chatting"),
    "calling": N_("Calling"),
    "answered": N_("Answered"),
    "open": N_("Open"),
    "postponed": N_("Postponed"),
    "resolved": N_("Resolved"),
    "closed": N_("Closed"),
    "spam": N_("Spam"),
    "deleted": N_("Deleted"),
}
PRIORITY_LABELS: dict[str, str] = {
    "low": N_("Low"),
    "normal": N_("Normal"),
    "high": N_("High"),
    "urgent": N_("Urgent"),
}
CHANNEL_LABELS: dict[str, str] = {
    "email": N_("Email"),
    "chat": N_("Chat"),
    "call": N_("Call"),
    "form": N_("Form"),
    "api": N_("API"),
    "web": N_("Agent"),
}

# System lines in the thread, by the event the domain stored with them (domains/tickets: `line`).
SYSTEM_LINES: dict[str, str] = {
    "resolved": N_("Resolved by %(agent)s"),
    "postponed": N_("Postponed by %(agent)s until %(until)s"),
    "merged": N_("Merged into this ticket: %(codes)s"),
    "split_into": N_("Split off into %(code)s"),
    "split_from": N_("Split off from %(code)s"),
    "transferred": N_("Transferred from %(from)s to %(to)s"),
    "transferred_to_agent": N_("Transferred from %(from)s to %(to)s, to %(agent)s"),
    "handed_over": N_("Handed over within %(department)s"),
    "handed_over_to_agent": N_("Handed over within %(department)s, to %(agent)s"),
}


def system_line(line: dict[str, str] | None, fallback: str, t: Translator) -> str:
    """A system line in the reader's language; the stored English text when the event is unknown."""
    if not line or line.get("event") not in SYSTEM_LINES:
        return fallback
    event = line["event"]
    values = dict(line)
    if "agent" in values and f"{event}_to_agent" in SYSTEM_LINES:
        event = f"{event}_to_agent"
    if "until" in values:
        with contextlib.suppress(ValueError):
            values["until"] = t.datetime(datetime.fromisoformat(values["until"]))
    try:
        return t.gettext(SYSTEM_LINES[event]) % values
    except (KeyError, ValueError, TypeError):
        return fallback

"""What a reporter's proven reply by mail does to their ticket: a pure decision.

An open ticket takes it as a reply. A closed one must not swallow it unseen: within the unit's
`reopen_window` it reopens the ticket (intake records the reply with the reporter's "not
solved", which desk turns into `ticket.reopened` as for the portal's button), or, when the
unit's standard says `[mail] closed_reply = "ask_staff"`, it waits for staff among the held
mails; after the window it opens a new ticket that names the old one.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum


class Outcome(str, Enum):
    REPLY = "reply"  # added to the open ticket
    REOPEN = "reopen"  # added, and the ticket reopened
    ASK_STAFF = "ask_staff"  # held for staff to decide
    NEW_TICKET = "new_ticket"  # a new ticket linked to the closed one


def on_reply(status: str, closed_at: datetime | None, window_ends: datetime | None,
             received_at: datetime, closed_reply: str) -> Outcome:
    """`window_ends`: when the reopen window after `closed_at` ends (the unit's calendar)."""
    if status != "closed":
        return Outcome.REPLY
    if closed_at is None or window_ends is None or received_at > window_ends:
        return Outcome.NEW_TICKET
    return Outcome.ASK_STAFF if closed_reply == "ask_staff" else Outcome.REOPEN


def follow_up_text(old_number: str, body: str) -> str:
    """The new ticket's description: it says which closed ticket it continues."""
    return f"[Lanjutan tiket {old_number} yang sudah ditutup]\n\n{body}"[:20_000]

"""Who is told what about a ticket event: notify's decision table, pure (no store, no I/O).

`plan` maps one event and the ticket's state to the mails it causes; the words are rendered
later (messages.py), the sending is the sender loop's (application.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import msgspec

from ...schemas import AnyTicketEvent
from ...schemas import events as ev
from ...workflow.rules import acting_role
from ...workflow.state import TicketState

TIER_LABELS = {"helpdesk": "Helpdesk", "koordinator": "Koordinator Helpdesk",
               "admin_ppe": "Admin PPE", "lkpp": "Helpdesk LKPP (nasional)"}
ROLE_LABELS = {**TIER_LABELS, "kepala_unit": "Kepala Unit", "admin": "Admin"}
TARGET_LABELS = {"first_response": "tanggapan pertama", "resolution": "penyelesaian"}
# Mails to the address a reporter typed (anyone can type anyone's): notify limits these.
REPORTER_TEMPLATES = frozenset({"received", "replied", "info_requested", "escalated", "closed",
                                "merged"})

# What a mail reader turns into a link: a scheme, `www.`, an address, or a domain with a path or
# a common top-level domain. Not any `x.y`: academic titles (S.Kom, M.Si, S.Pd) are names.
_TLDS = ("com|net|org|info|biz|xyz|top|io|co|id|me|ly|link|click|site|online|shop|app|dev|ru"
         "|cn|tk|ml|ga|cf|gq|pw|cc|su|ws|live|club|icu|vip|win|bid|loan|work|my")
_LINK = re.compile(r"(?i)\b[a-z][a-z0-9+.-]*:/+\S*|\bwww\d*\.\S*|\bmailto:\S*|\S+@\S+"
                   r"|\b[\w-]+(?:\.[\w-]+)*\.[a-z]{2,63}/\S*"
                   rf"|\b[\w-]+(?:\.[\w-]+)*\.(?:{_TLDS})\b\S*")
LINK_REMOVED = "[tautan dihapus]"


def without_links(text: str) -> str:
    """The text with everything a mail reader would make clickable taken out."""
    return _LINK.sub(LINK_REMOVED, text)


@dataclass(frozen=True)
class Planned:
    template: str
    recipient: str
    context: dict


def plan(event: AnyTicketEvent, state: TicketState, standard, status_url: str,
         survey_url: str, staff_url: str = "") -> list[Planned]:
    """The mails one event causes: to the reporter (if they gave an email) and to the role
    mailboxes of the unit's staff who must act or monitor. Staff mails carry `staff_url` (the
    ticket's staff page); reporters' mails never do."""
    received = state.received
    reporter = received.reporter.email
    base = {
        "unit": standard, "number": received.number, "subject_line": received.subject,
        "staff_url": staff_url,
        "reporter": received.reporter, "status_url": status_url, "survey_url": survey_url,
        "channel": received.channel, "kind": received.kind, "description": received.description,
    }
    out: list[Planned] = []

    # What the form's sender typed comes back to the address they typed, which may be a
    # stranger's: no link of theirs may reach that inbox under the unit's name.
    typed = {"reporter": msgspec.structs.replace(
        received.reporter, name=without_links(received.reporter.name),
        organization=without_links(received.reporter.organization)),
        "subject_line": without_links(received.subject)}

    def to_reporter(template: str, **extra) -> None:
        if reporter:
            out.append(Planned(template, reporter, {**base, **typed, "staff_url": "", **extra}))

    def to_role(role: str, template: str, **extra) -> None:
        out.append(Planned(template, standard.mailbox(role),
                           {**base, "role_label": ROLE_LABELS.get(role, role), **extra}))

    match event:
        case ev.TicketReceived():
            to_reporter("received")
            to_role(acting_role(standard, state), "staff_new")
        case ev.TicketReplied():
            to_reporter("replied", message=event.message)
        case ev.InfoRequested():
            to_reporter("info_requested", message=event.message)
        case ev.EscalatedToCoordinator() | ev.EscalatedToLkpp():
            tier = event.to_tier if isinstance(event, ev.EscalatedToCoordinator) else "lkpp"
            words = {"tier_label": TIER_LABELS[tier], "from_tier": TIER_LABELS[event.from_tier],
                     "reason": event.reason, "automatic": event.automatic}
            to_reporter("escalated", **words)
            to_role(standard.tier(tier).role, "staff_escalation", **words)
            if event.automatic:  # the Koordinator / Kepala Unit is told, once per escalation
                to_role(standard.monitor_role, "staff_monitor", **words)
        case ev.EscalationAnswered():
            to_role(standard.tier("helpdesk").role, "staff_answered",
                    from_tier=TIER_LABELS[event.from_tier], message=event.message)
        case ev.ReporterReplied():
            to_role(acting_role(standard, state), "staff_reporter_replied", message=event.message)
        case ev.TicketMerged():  # a kind of close: matched before it
            to_reporter("merged", into=event.into)
        case ev.TicketClosed():
            to_reporter("closed", resolution=event.resolution)
        case ev.TicketReopened():
            to_role(acting_role(standard, state), "staff_reopened", reason=event.reason,
                    assignee=event.assignee)
        case ev.SlaBreached():
            words = {"target_label": TARGET_LABELS[event.target], "tier": event.tier,
                     "due_at": event.due_at.astimezone(standard.zone).strftime("%d-%m-%Y %H:%M")}
            to_role(standard.tier(event.tier).role, "staff_breach", **words)
            if standard.monitor_role != standard.tier(event.tier).role:
                to_role(standard.monitor_role, "staff_breach", **words)
    return out

"""Escalation's decisions, as pure functions: a staff escalation or answer, the automatic
escalation when a tier's deadline passes, an SLA breach, and the clocks the timer watches.
From the folded state (or history), the command, the unit's standard and a `Stamp` (the new
event's id and time) to events or a domain refusal; no store, no bus (application.py)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import NamedTuple

from ... import refusals
from ...schemas import AnyTicketEvent
from ...schemas import events as ev
from ...sla.tickets import fold_clocks, pauses_of
from ...sla.units import due
from ...standards.model import OUTSIDE_TIER
from ...workflow import rules
from ...workflow.stamp import Stamp
from ...workflow.rules import TicketNotFound
from ...workflow.state import TicketState

TIER_DEADLINE = "tier_deadline"


class Clock(NamedTuple):
    """A due time the timer watches. `once_key` names what passing it may cause only once: a
    breach per target, an automatic escalation per visit of a tier ("tier:helpdesk@<arrival>")."""

    target: str
    tier: str
    due_at: datetime | None
    met: bool
    once_key: str


def clocks(events: list[AnyTicketEvent], state: TicketState | None, standard) -> list[Clock]:
    """The ticket's SLA clocks (first response, resolution) and its current tier's deadline."""
    found = [Clock(c.target, c.tier, c.due_at, c.met, c.target)
             for c in fold_clocks(events, standard)]
    if state is not None and standard is not None:
        found.append(tier_deadline(state, events, standard))
    return found


def tier_deadline(state: TicketState, events: list[AnyTicketEvent], standard) -> Clock:
    """When the current tier must have acted; no due time when the tier has no deadline, is the
    top of the chain, or the ticket is closed or waits for its reporter."""
    deadline = standard.tier(state.tier).deadline
    visit = visit_key(state.tier, state.tier_since)
    if (deadline is None or state.status in ("closed", "waiting_reporter")
            or standard.tier_after(state.tier) is None):
        return Clock(TIER_DEADLINE, state.tier, None, False, visit)
    at = due(standard, state.tier_since, deadline, pauses_of(events))
    return Clock(TIER_DEADLINE, state.tier, at, False, visit)


def visit_key(tier: str, since: datetime) -> str:
    """The once-key of a visit of a tier: a later visit of the same tier is a new key. The time
    is written as the store writes times (`platform.store.utc_text`), so keys stored before
    match the ones computed now."""
    return f"tier:{tier}@{since.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%S.%fZ')}"


def escalation(state: TicketState, to_tier: str, reason: str, actor: ev.Actor,
               automatic: bool, standard, stamp: Stamp, external_ref: str = "",
               external_url: str = ""):
    """The event that moves the ticket up to `to_tier`; a tier with its own resolution target
    re-targets the resolution due time from the ticket's arrival. Only LKPP, outside this
    deployment, has an external ticket (LPSE Support's number and link)."""
    envelope = stamp.envelope(state.received.ticket_id, state.tenant)
    override = standard.tier(to_tier).resolution_override
    resolution_due = due(standard, state.received.occurred_at, override) if override else None
    if to_tier == OUTSIDE_TIER:
        return ev.EscalatedToLkpp(**envelope, from_tier=state.tier, reason=reason, actor=actor,
                                  automatic=automatic, resolution_due=resolution_due,
                                  external_ref=external_ref, external_url=external_url)
    if external_ref or external_url:
        raise refusals.Invalid(f"tiket LPSE Support dicatat hanya saat eskalasi ke LKPP, bukan ke "
                               f"`{to_tier}` / external_ref and external_url are for LKPP only")
    return ev.EscalatedToCoordinator(**envelope, from_tier=state.tier, to_tier=to_tier,
                                     reason=reason, actor=actor, automatic=automatic,
                                     resolution_due=resolution_due)


def staff_action(action: str, number: str, state: TicketState | None, body, staff, standard,
                 stamp: Stamp):
    """A staff member escalates one tier up (`body.reason`, and at LKPP the LPSE Support ticket)
    or answers back down to the helpdesk (`body.message`). `staff`
    has `username`, `role` and `may_act_in(tenant)` (a `platform.auth.Principal`)."""
    if action not in ("escalate", "answer"):
        raise refusals.NotFound(f"aksi `{action}` tidak dikenal")
    if state is None:
        raise TicketNotFound(number)
    rules.check_unit(staff.may_act_in(state.tenant), number, state.tenant)
    target = rules.check(action, state, staff.role, standard)
    actor = ev.Actor(id=staff.username, role=staff.role)
    if action == "escalate":
        return escalation(state, target, body.reason, actor, False, standard, stamp,
                          getattr(body, "external_ref", ""), getattr(body, "external_url", ""))
    return ev.EscalationAnswered(**stamp.envelope(state.received.ticket_id, state.tenant),
                                 from_tier=state.tier, to_tier=target, message=body.message,
                                 actor=actor)


def auto_escalation(state: TicketState | None, tier: str, standard, stamp: Stamp):
    """The tier `tier` missed its deadline: escalate one tier, by the system. None when the
    ticket moved on since the clock was written, or the tier is the top of the chain."""
    if state is None or standard is None or state.tier != tier or state.status == "closed":
        return None
    following = standard.tier_after(tier)
    if following is None:
        return None
    deadline = standard.tier(tier).deadline
    reason = (f"otomatis: tingkat `{tier}` belum menyelesaikan tiket dalam "
              f"{deadline.describe()}; dilaporkan ke {standard.monitor_role}")
    return escalation(state, following, reason, ev.SYSTEM, True, standard, stamp)


def sla_breach(ticket_id: uuid.UUID, tenant: str, target: str, tier: str, due_at: datetime,
               stamp: Stamp) -> ev.SlaBreached:
    """A first-response or resolution clock passed unmet."""
    return ev.SlaBreached(**stamp.envelope(ticket_id, tenant), target=target, tier=tier,
                          due_at=due_at)

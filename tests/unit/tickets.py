"""Ticket histories for the decision tests: events built from the shipped unit standards, at
fixed times, so each test states the history it decides on."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from lpse_helpdesk.schemas import events as ev
from lpse_helpdesk.standards import load_standards
from lpse_helpdesk.standards.loader import SHIPPED_DIR
from lpse_helpdesk.workflow.stamp import Stamp
from lpse_helpdesk.workflow.state import fold_state

STANDARDS = load_standards(SHIPPED_DIR)
# Monday 2 March 2026, 09:00 in Jakarta: a working day, inside working hours.
T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
TOKEN = "rahasia-pelapor"


def stamp(at: datetime = T0 + timedelta(hours=1)) -> Stamp:
    return Stamp(uuid.uuid4(), at)


def staff_actor(role: str = "helpdesk") -> ev.Actor:
    return ev.Actor(id=f"{role}.satu", role=role)


@dataclass(frozen=True)
class Staff:
    """A signed-in staff member as decisions see one (`platform.auth.Principal`'s shape)."""

    username: str = "helpdesk.satu"
    role: str = "helpdesk"
    tenant: str = "batam"

    def may_act_in(self, tenant: str) -> bool:
        return self.tenant in (tenant, "*")


@dataclass
class Ticket:
    """A ticket's history, grown one event at a time, each a minute after the last."""

    tenant: str = "batam"
    kind: str = "ticket"
    events: list = field(default_factory=list)

    def __post_init__(self):
        self.ticket_id = uuid.uuid4()
        self.events.append(ev.TicketReceived(
            event_id=uuid.uuid4(), ticket_id=self.ticket_id, tenant=self.tenant, occurred_at=T0,
            number=f"BTM-2026-{len(self.events) + 1:06d}", channel="web",
            reporter=ev.Reporter(name="Budi Santoso", email="budi@contoh.co.id",
                                 organization="CV Maju Jaya"),
            subject="Tidak bisa login SPSE", description="Akun terkunci sejak pagi.",
            access_token_sha256=hashlib.sha256(TOKEN.encode()).hexdigest(), kind=self.kind))

    @property
    def received(self) -> ev.TicketReceived:
        return self.events[0]

    @property
    def number(self) -> str:
        return self.received.number

    @property
    def standard(self):
        return STANDARDS[self.tenant]

    @property
    def last_at(self) -> datetime:
        return self.events[-1].occurred_at

    def add(self, kind: type, after: timedelta = timedelta(minutes=1), **fields) -> Ticket:
        self.events.append(kind(event_id=uuid.uuid4(), ticket_id=self.ticket_id,
                                tenant=self.tenant, occurred_at=self.last_at + after, **fields))
        return self

    def classified(self, category: str = "gangguan") -> Ticket:
        return self.add(ev.TicketClassified, category=category, priority="sedang",
                        confidence=0.9)

    def escalated(self, to_tier: str = "koordinator", from_tier: str = "helpdesk") -> Ticket:
        if to_tier == "lkpp":
            return self.add(ev.EscalatedToLkpp, from_tier=from_tier, reason="butuh LKPP",
                            actor=staff_actor(from_tier))
        return self.add(ev.EscalatedToCoordinator, from_tier=from_tier, to_tier=to_tier,
                        reason="di luar kewenangan", actor=staff_actor(from_tier))

    def answered(self, from_tier: str = "koordinator") -> Ticket:
        return self.add(ev.EscalationAnswered, from_tier=from_tier, to_tier="helpdesk",
                        message="sudah dibuka", actor=staff_actor(from_tier))

    def closed(self, by: str = "helpdesk", after: timedelta = timedelta(minutes=1)) -> Ticket:
        return self.add(ev.TicketClosed, after=after, resolution="Akun sudah dibuka kembali.",
                        actor=staff_actor(by), publish_faq=True)

    @property
    def state(self):
        return fold_state(self.events)

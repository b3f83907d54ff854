"""SLA clocks of a ticket from its events, and breaches fired once at the right time."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

from conftest import eventually, make_settings, running_helpdesk
from lpse_helpdesk.platform.store import from_utc_text
from lpse_helpdesk.schemas import events as ev
from lpse_helpdesk.sla.tickets import fold_clocks

WIB = timedelta(hours=7)
STAFF = ev.Actor(id="sari", role="helpdesk")


def at(text: str) -> datetime:
    """A WIB wall-clock time as an aware UTC datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC) - WIB


class Ticket:
    def __init__(self, tenant: str, received: str):
        self.id, self.tenant = uuid.uuid4(), tenant
        self.events = []
        self.add(ev.TicketReceived, received, number="X-1", channel="web",
                 reporter=ev.Reporter(name="Budi"), subject="s", description="d",
                 access_token_sha256="0" * 64)

    def add(self, event_type, when: str, **fields):
        self.events.append(event_type(
            event_id=uuid.uuid4(), ticket_id=self.id, tenant=self.tenant,
            occurred_at=at(when), **fields))
        return self

    def classify(self, when: str, category: str):
        return self.add(ev.TicketClassified, when, category=category, priority="sedang",
                        confidence=0.9)


def clocks(ticket: Ticket, standards) -> dict:
    return {c.target: c for c in fold_clocks(ticket.events, standards[ticket.tenant])}


def test_lampung_problem_due_one_working_day_later(standards):
    # Lampung: Permasalahan is solved in 1 (working) day; first response 30 working minutes.
    t = Ticket("lampung", "2026-11-23T09:00").classify("2026-11-23T09:00", "permasalahan")
    c = clocks(t, standards)
    assert c["resolution"].due_at == at("2026-11-24T09:00")
    assert c["first_response"].due_at == at("2026-11-23T09:30")


def test_waiting_for_the_reporter_two_days_pauses_the_clock(standards):
    t = Ticket("lampung", "2026-11-23T09:00").classify("2026-11-23T09:00", "gangguan")
    unpaused = clocks(t, standards)["resolution"].due_at
    t.add(ev.InfoRequested, "2026-11-23T10:00", message="Mohon screenshot", actor=STAFF)
    paused = clocks(t, standards)
    assert paused["resolution"].due_at is None  # stopped while we wait
    assert paused["first_response"].met  # asking for information is a first response
    t.add(ev.ReporterReplied, "2026-11-25T10:00", message="Terlampir")  # Wednesday, same time
    resumed = clocks(t, standards)["resolution"].due_at
    # Two whole working days of the unit's calendar were paused: the due time moves by two
    # working days (Gangguan: 3 working days, Mon 09:00 -> Thu 09:00 -> Mon 09:00 next week).
    assert unpaused == at("2026-11-26T09:00")
    assert resumed == at("2026-11-30T09:00")


def test_reclassification_retargets(standards):
    t = Ticket("lampung", "2026-11-23T09:00").classify("2026-11-23T09:00", "gangguan")
    assert clocks(t, standards)["resolution"].due_at == at("2026-11-26T09:00")
    t.classify("2026-11-23T09:10", "permintaan_layanan")  # ±1 hour
    assert clocks(t, standards)["resolution"].due_at == at("2026-11-23T10:00")


def test_basarnas_lkpp_tier_gets_three_times_24_hours(standards):
    t = Ticket("basarnas", "2026-11-20T15:00").classify("2026-11-20T15:00", "gangguan")  # Friday
    t.add(ev.EscalatedToCoordinator, "2026-11-20T15:30", from_tier="helpdesk", to_tier="admin_ppe",
          reason="perlu admin", actor=STAFF)
    t.add(ev.EscalatedToLkpp, "2026-11-20T15:45", from_tier="admin_ppe", reason="bug SPSE",
          actor=STAFF)
    c = clocks(t, standards)
    assert c["resolution"].tier == "lkpp"
    assert c["resolution"].due_at == at("2026-11-23T15:00")  # 72 wall-clock hours, weekend too
    assert c["first_response"].met


def test_closing_meets_resolution_and_reopening_resumes(standards):
    t = Ticket("tuban", "2026-11-23T09:00").classify("2026-11-23T09:00", "gangguan")
    t.add(ev.TicketClosed, "2026-11-23T11:00", resolution="selesai", actor=STAFF)
    assert clocks(t, standards)["resolution"].met
    t.add(ev.TicketReopened, "2026-11-24T09:00", reason="masih gagal", actor=STAFF)
    c = clocks(t, standards)["resolution"]
    assert not c.met and c.due_at is not None


async def test_breach_fires_once_at_the_due_time_even_across_restarts(tmp_path, nats_server):
    now = {"t": datetime.now(UTC)}
    settings = make_settings(tmp_path, nats_server.url)
    services = ["intake", "triage", "escalation", "desk"]

    async with running_helpdesk(settings, services=services, now=lambda: now["t"]) as hd:
        created = (await hd.post_ticket("batubara")).json()
        store = hd.runtime.service("escalation").store
        p = store.prefix
        rows = await eventually(
            lambda: store.query(f"SELECT target, due_at FROM {p}_sla_clocks WHERE due_at IS NOT NULL"),
            what="jam SLA tercatat",
        )
        first_due = min(due for target, due in rows if target == "first_response")
        await asyncio.sleep(1.2)  # a timer tick before the due time records nothing
        assert store.query(f"SELECT COUNT(*) FROM {p}_sla_breaches")[0][0] == 0

    # The service is down while the due time passes; it fires on restart, once.
    now["t"] = from_utc_text(first_due) + timedelta(seconds=1)
    for _ in range(2):
        async with running_helpdesk(settings, services=services, now=lambda: now["t"]) as hd:
            store = hd.runtime.service("escalation").store
            await eventually(lambda: store.query(f"SELECT COUNT(*) FROM {p}_sla_breaches")[0][0] == 1,
                             what="satu pelanggaran SLA")
            await asyncio.sleep(1.2)  # another tick changes nothing
            breaches = [n for n in store.notifications(0, 100) if n.topic == "ticket.sla_breached"]
            assert len(breaches) == 1
            ticket = await eventually(
                lambda: _breached(hd, created), what="tampil di tiket")
            assert ticket["first_response_breached"] and not ticket["resolution_breached"]


async def _breached(hd, created):
    ticket = await hd.ticket(created)
    return ticket if ticket and ticket["first_response_breached"] else None


async def test_staff_reclassification_is_an_event_with_who_and_why(tmp_path, nats_server):
    settings = make_settings(tmp_path, nats_server.url)
    async with running_helpdesk(settings, services=["intake", "triage", "desk"]) as hd:
        created = (await hd.post_ticket("lampung")).json()
        first = await eventually(lambda: _classified(hd, created), what="klasifikasi otomatis")
        triage = hd.runtime.service("triage").app
        coordinator = ev.Actor(id="koordinator.lpg", role="koordinator")
        new = "permasalahan" if first["category"] != "permasalahan" else "gangguan"
        decided = await asyncio.to_thread(
            triage.reclassify, uuid.UUID(created["id"]), new, coordinator,
            "akun terkunci berulang, berdampak ke tender berikutnya")
        ticket = await eventually(
            lambda: _classified(hd, created, category=new), what="klasifikasi ulang tampil")
        last = ticket["timeline"][-1]["event"]
        # The reporter's view names staff by role or display name, never by username.
        assert last["actor"] == {"id": "Koordinator Helpdesk", "role": "koordinator"}
        assert "akun terkunci" in decided.reason and "reason" not in last  # staff's why: staff's
        assert ticket["resolution_due"] != first["resolution_due"]


async def _classified(hd, created, category=None):
    ticket = await hd.ticket(created)
    if ticket and ticket["category"] and (category is None or ticket["category"] == category):
        return ticket
    return None


def test_ticket_view_shows_effective_due_times_and_the_pause(standards):
    from lpse_helpdesk.services.desk.views import fold

    t = Ticket("lampung", "2026-11-23T09:00").classify("2026-11-23T09:00", "gangguan")
    t.add(ev.InfoRequested, "2026-11-23T10:00", message="Mohon screenshot", actor=STAFF)
    view = fold(t.events, standard=standards["lampung"])
    assert view.status == "waiting_reporter" and view.sla_paused
    assert view.resolution_due is None and view.first_response_due is None
    t.add(ev.ReporterReplied, "2026-11-25T10:00", message="Terlampir")
    view = fold(t.events, standard=standards["lampung"])
    assert view.status == "open" and not view.sla_paused
    assert view.resolution_due == at("2026-11-30T09:00")


def test_a_reporters_reply_to_a_closed_ticket_does_not_reopen_it(standards):
    """'Terima kasih' in answer to the closing mail: the ticket stays closed and its clocks
    stay stopped (escalation's timer would otherwise escalate a closed ticket)."""
    from lpse_helpdesk.workflow.state import fold_state

    t = Ticket("batam", "2026-11-23T09:00").classify("2026-11-23T09:00", "gangguan")
    t.add(ev.TicketClosed, "2026-11-23T10:00", resolution="Selesai", actor=STAFF)
    t.add(ev.ReporterReplied, "2026-11-23T11:00", message="Terima kasih")
    assert fold_state(t.events).status == "closed"
    assert clocks(t, standards)["resolution"].due_at is None
    t.add(ev.TicketReopened, "2026-11-24T09:00", reason="belum selesai", actor=STAFF)
    assert fold_state(t.events).status == "open"
    # The clock stood still from the close to the reopen, the reply notwithstanding.
    without_reply = [e for e in t.events if not isinstance(e, ev.ReporterReplied)]
    expected = fold_clocks(without_reply, standards["batam"])[1].due_at
    assert expected is not None and clocks(t, standards)["resolution"].due_at == expected

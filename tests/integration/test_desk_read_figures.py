"""The head-of-unit figures counted in SQL from indexes (`reports.py`, `agents.py`,
`readindex.py`) equal what the earlier Python computation found reading every row and decoding
every event body: the now-figures, tickets per day (also in a zone whose midnight falls inside a
UTC hour), escalations by the tier reached and the per-agent rows, on SQLite and PostgreSQL.
The histories go through the live projection (`views.project`), with events near the period's
edges and some stamped with a non-UTC offset."""

from __future__ import annotations

import hashlib
import random
import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from statistics import median
from zoneinfo import ZoneInfo

import msgspec
import pytest

from conftest import make_settings
from lpse_helpdesk.platform.store import ServiceStore, Write, from_utc_text
from lpse_helpdesk.schemas import desk_events as dv
from lpse_helpdesk.schemas import events as ev
from lpse_helpdesk.services import definition
from lpse_helpdesk.services.desk import agents, reports, views
from lpse_helpdesk.standards import load_standards

NOW = datetime(2026, 3, 20, 5, 0, tzinfo=UTC)
JAKARTA_PLUS = timezone(timedelta(hours=7))


def fill(store: ServiceStore, standards: dict, tickets: int = 120) -> None:
    draw = random.Random(3)
    seq = 0
    for i in range(tickets):
        unit = ("batam", "tuban", "lampung")[i % 3]
        chain = [e.tier for e in standards[unit].escalation]
        tid, at = uuid.uuid4(), NOW - timedelta(minutes=draw.randint(1, 50 * 24 * 60))
        events: list = []

        def add(kind, minutes, **fields):
            nonlocal at
            at = at + timedelta(minutes=minutes)
            # Some events are stamped in Jakarta's offset: the history keeps it as written.
            stamp = at.astimezone(JAKARTA_PLUS) if draw.random() < 0.2 else at
            events.append(kind(event_id=uuid.uuid4(), ticket_id=tid, tenant=unit,
                               occurred_at=stamp, **fields))

        who = ev.Actor(id=draw.choice(("hd.satu", "hd.dua")), role="helpdesk")
        add(ev.TicketReceived, 0, number=f"T{i:05d}", channel=draw.choice(("web", "email")),
            reporter=ev.Reporter(name=f"Pelapor {i}", email=f"p{i}@contoh.co.id"),
            subject="Tidak bisa login", description="Akun terkunci.",
            access_token_sha256=hashlib.sha256(b"x").hexdigest())
        if draw.random() < 0.9:
            add(ev.TicketClassified, 1, category=draw.choice(("gangguan", "permasalahan")),
                priority="sedang", confidence=0.9,
                first_response_due=at + timedelta(hours=draw.choice((-200, 8))),
                resolution_due=at + timedelta(hours=draw.choice((2, 30, 400))))
        if draw.random() < 0.7:
            add(dv.TicketReplied, draw.randint(1, 3000), message="Sedang diperiksa.", actor=who)
        for _ in range(draw.choice((0, 0, 1, 2))):
            if chain[1] == "lkpp":
                add(ev.EscalatedToLkpp, draw.randint(1, 900), from_tier="helpdesk",
                    reason="Naik.", actor=who)
            else:
                add(ev.EscalatedToCoordinator, draw.randint(1, 900), from_tier="helpdesk",
                    to_tier=chain[1], reason="Naik.", actor=who)
        if draw.random() < 0.7:
            add(dv.TicketClosed, draw.randint(1, 5000), resolution="Selesai.", actor=who)
        for event in sorted(events, key=lambda e: e.occurred_at):
            seq += 1
            known = [e for e in events if e.occurred_at <= event.occurred_at]
            store.execute(views.project(store, event, seq, standards, known).writes)


# --- the earlier computation, as it was ---------------------------------------------------

class _Acted(msgspec.Struct):
    occurred_at: datetime
    actor: dict = {}
    to_tier: str = "lkpp"


def old_figures(store: ServiceStore, tenant: str, standard, start: date, end: date) -> dict:
    p, stamp, zone = store.prefix, reports.utc_text(NOW), standard.zone
    rows = store.query(
        f"SELECT status, tier, category, channel, resolution_due, resolution_target, closed_at,"
        f" escalations, breached FROM {p}_ticket_state WHERE tenant = ?", (tenant,))
    c = dict(open=0, overdue=0, escalated=0, closed=0, within=0, breached=0)
    by_category: dict = {}
    by_tier: dict = {}
    by_channel: dict = {}
    for status, tier, category, channel, due, target, closed_at, escalations, breached in rows:
        closed = status == "closed"
        c["closed" if closed else "open"] += 1
        c["overdue"] += int(not closed and due is not None and due < stamp)
        c["escalated"] += int(escalations > 0)
        c["within"] += int(closed and target is not None and closed_at <= target)
        c["breached"] += breached
        slot = by_category.setdefault(category or "belum_diklasifikasi", {"open": 0, "closed": 0})
        slot["closed" if closed else "open"] += 1
        if not closed:
            by_tier[tier] = by_tier.get(tier, 0) + 1
        by_channel[channel] = by_channel.get(channel, 0) + 1
    low, high = reports._bounds(zone, start, end)  # noqa: SLF001
    days = {start + timedelta(days=i): [0, 0] for i in range((end - start).days + 1)}
    received = store.query(f"SELECT received_at FROM {p}_ticket_state WHERE tenant = ?"
                           " AND received_at >= ? AND received_at < ?", (tenant, low, high))
    closed_at = store.query(f"SELECT closed_at FROM {p}_ticket_state WHERE tenant = ?"
                            " AND status = 'closed' AND closed_at >= ? AND closed_at < ?",
                            (tenant, low, high))
    for column, found in ((0, received), (1, closed_at)):
        for (text,) in found:
            days[from_utc_text(text).astimezone(zone).date()][column] += 1
    lo, hi = from_utc_text(low), from_utc_text(high)
    bodies = store.query(f"SELECT e.ticket_id, e.type, e.body FROM {p}_ticket_events e JOIN"
                         f" {p}_tickets t ON t.ticket_id = e.ticket_id WHERE t.tenant = ?",
                         (tenant,))
    escalations = {entry.tier: 0 for entry in standard.escalation[1:]}
    closes = []
    for ticket, kind, body in bodies:
        event = msgspec.json.decode(body, type=_Acted)
        if lo <= event.occurred_at < hi and kind in reports.ESCALATION_TYPES:
            escalations[event.to_tier] = escalations.get(event.to_tier, 0) + 1
        if lo <= event.occurred_at < hi and kind in ("ticket.closed", "ticket.merged"):
            closes.append((event.actor.get("id", ""), ticket))
    answered = store.query(
        f"SELECT s.ticket_id, s.received_at, e.body FROM {p}_ticket_state s"
        f" JOIN {p}_ticket_events e ON e.ticket_id = s.ticket_id WHERE s.tenant = ?"
        " AND s.received_at >= ? AND s.received_at < ? AND e.type IN (?, ?)"
        " ORDER BY s.ticket_id, e.stream_seq",
        (tenant, low, high, "ticket.replied", "ticket.info_requested"))
    first: dict = {}
    for ticket, received, body in answered:
        if ticket not in first:
            event = msgspec.json.decode(body, type=_Acted)
            first[ticket] = (event.actor.get("id", ""), max(0.0, (
                event.occurred_at - from_utc_text(received)).total_seconds()))
    open_assignees = dict(store.query(
        f"SELECT assignee, COUNT(*) FROM {p}_ticket_state WHERE tenant = ?"
        " AND status <> 'closed' AND assignee <> '' GROUP BY assignee", (tenant,)))
    return dict(
        counts=c, by_category=by_category, by_tier=by_tier, by_channel=by_channel,
        per_day=[(day, r, cl) for day, (r, cl) in days.items()], escalations=escalations,
        agents=agents.tally({}, open_assignees, closes, list(first.values())))


def new_figures(store: ServiceStore, tenant: str, standard, start: date, end: date) -> dict:
    f = agents.figures(store, tenant, NOW, standard, start, end)
    return dict(
        counts=dict(open=f.open, overdue=f.overdue, escalated=f.escalated, closed=f.closed,
                    within=f.closed_within_target, breached=f.breached),
        by_category=f.by_category, by_tier=f.by_tier, by_channel=f.by_channel,
        per_day=[(d.date, d.received, d.closed) for d in f.per_day],
        escalations=f.escalations_by_tier, agents=f.agents)


@pytest.mark.parametrize("zone", ["Asia/Jakarta", "Asia/Kolkata"])
def test_the_figures_from_indexes_equal_the_row_by_row_computation(tmp_path, database_url,
                                                                  zone):
    standards = {name: msgspec.structs.replace(s, calendar=msgspec.structs.replace(
                     s.calendar, timezone=zone))
                 for name, s in load_standards().items()}
    settings = make_settings(tmp_path, "nats://127.0.0.1:1", database_url)
    store = ServiceStore("desk", settings, definition("desk").tables)
    try:
        views.upgrade(store)
        fill(store, standards)
        assert store.query(f"SELECT COUNT(*) FROM {store.prefix}_ticket_state")[0][0] == 120
        today = NOW.astimezone(ZoneInfo(zone)).date()
        for tenant in ("batam", "tuban", "lampung"):
            for start, end in ((today - timedelta(days=29), today),
                               (today - timedelta(days=45), today - timedelta(days=3)),
                               (today - timedelta(days=7), today - timedelta(days=7))):
                old = old_figures(store, tenant, standards[tenant], start, end)
                assert new_figures(store, tenant, standards[tenant], start, end) == old
                assert sum(old["escalations"].values()) or start == end  # a test that can fail
        store.execute([Write(f"DELETE FROM {store.prefix}_ticket_events")])
        assert not any(agents.figures(store, "batam", NOW, standards["batam"]).
                       escalations_by_tier.values())
    finally:
        store.close()

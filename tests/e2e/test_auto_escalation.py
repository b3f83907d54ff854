"""A tier's deadline passing unanswered escalates the ticket one tier, once, across restarts;
a reporter's "not solved" after the unit's window does not reopen."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from conftest import make_settings, running_helpdesk
from lpse_helpdesk.platform.store import from_utc_text
from lpse_helpdesk.services.escalation.application import TIER_DEADLINE
from scenario import Desk, types

SERVICES = ["intake", "triage", "escalation", "desk"]


def escalations(store) -> list:
    return [n for n in store.notifications(0, 1000) if n.topic.startswith("ticket.escalated")]


async def test_tier_deadline_escalates_once_even_across_restarts(tmp_path, nats_server):
    now = {"t": datetime.now(UTC)}
    settings = make_settings(tmp_path, nats_server.url)
    async with running_helpdesk(settings, services=SERVICES, now=lambda: now["t"]) as hd:
        d = Desk(hd, "batam")
        staff = await d.staff("hd.btm", "helpdesk")  # the reason is in the staff's view only
        tokens = d.tokens  # signed with the data folder's key: valid across the restarts
        created = await d.report(subject="Halaman e-purchasing error",
                                 description="Muncul error saat membuat paket e-purchasing")
        store = hd.runtime.service("escalation").store
        await asyncio.sleep(0.3)
        [(due_at,)] = store.query(
            f"SELECT due_at FROM {store.prefix}_sla_clocks WHERE target = ?", (TIER_DEADLINE,))
        await asyncio.sleep(1.2)  # a timer tick before the deadline does nothing
        assert escalations(store) == []

    now["t"] = from_utc_text(due_at) + timedelta(seconds=1)  # passed while the service was down
    for _ in range(2):
        async with running_helpdesk(settings, services=SERVICES, now=lambda: now["t"]) as hd:
            d = Desk(hd, "batam")
            d.tokens = tokens
            view = await d.until(created, lambda x: x["tier"] == "koordinator", "naik otomatis",
                                 who=staff)
            await asyncio.sleep(1.2)
            assert len(escalations(hd.runtime.service("escalation").store)) == 1
            [event] = [e["event"] for e in view["timeline"]
                       if e["type"] == "ticket.escalated_to_coordinator"]
            assert event["automatic"] is True and event["actor"]["role"] == "system"
            assert "kepala_unit" in event["reason"]  # Batam's Kepala Unit monitors
    # Batam's Koordinator tier has no deadline in the standard: it stays there.
    now["t"] += timedelta(days=30)
    async with running_helpdesk(settings, services=SERVICES, now=lambda: now["t"]) as hd:
        await asyncio.sleep(1.5)
        assert len(escalations(hd.runtime.service("escalation").store)) == 1


async def test_not_solved_after_the_reopen_window_keeps_it_closed(tmp_path, nats_server):
    now = {"t": datetime.now(UTC)}
    settings = make_settings(tmp_path, nats_server.url)
    async with running_helpdesk(settings, services=SERVICES, now=lambda: now["t"]) as hd:
        d = Desk(hd, "tuban")
        helpdesk = await d.staff("hd.tbn", "helpdesk")
        created = await d.report()
        await d.act(helpdesk, created, "close", {"resolution": "Password direset"})
        await d.until(created, lambda x: x["status"] == "closed", "ditutup")
        # Ten days later is outside Tuban's window of 5 working days.
        now["t"] += timedelta(days=10)
        await d.reporter(created, "feedback", {"solved": False, "message": "masih gagal"})
        await d.until(created, lambda x: "reporter_feedback" in types(x), "umpan balik")
        await asyncio.sleep(0.5)
        view = await d.view(created)
        assert view["status"] == "closed" and "reopened" not in types(view)

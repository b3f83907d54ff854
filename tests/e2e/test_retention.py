"""A unit's retention period after closing: when it has passed (an injected clock), the desk's
timer erases the reporter's personal data, reason "retention", once per ticket, also across
restarts; an open ticket and one closed more recently keep theirs."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from conftest import make_settings, running_helpdesk
from scenario import Desk

from lpse_helpdesk.services.desk import retention

SERVICES = ["intake", "triage", "desk"]
ERASED = "[data dihapus]"


def erasures(store) -> list:
    return [n for n in store.notifications(0, 1000) if n.topic == "ticket.personal_data_erased"]


async def test_retention_erases_closed_tickets_once_across_restarts(tmp_path, nats_server,
                                                                    monkeypatch):
    monkeypatch.setattr(retention, "FIRST_S", 0.1)  # the timer's own pace, shortened
    monkeypatch.setattr(retention, "INTERVAL_S", 0.3)
    now = {"t": datetime.now(UTC)}
    settings = make_settings(tmp_path, nats_server.url)
    async with running_helpdesk(settings, services=SERVICES, now=lambda: now["t"]) as hd:
        d = Desk(hd, "batam")
        staff = await d.staff("hd.btm", "helpdesk")
        tokens = d.tokens
        old = await d.report(reporter={"name": "Sutan Lamanya", "email": "sutan@contoh.id"})
        await d.act(staff, old, "close", {"resolution": "Sudah diperbaiki"})
        await d.until(old, lambda t: t["status"] == "closed", "ditutup", who=staff)
        kept = await d.report(reporter={"name": "Rina Masihbuka", "email": "rina@contoh.id"})
        await asyncio.sleep(1.0)  # timer rounds within the period erase nothing
        assert erasures(hd.runtime.service("desk").store) == []

    now["t"] += timedelta(days=1825, hours=1)  # batam keeps the shipped default, 1825 days
    for _ in range(2):
        async with running_helpdesk(settings, services=SERVICES, now=lambda: now["t"]) as hd:
            d = Desk(hd, "batam")
            d.tokens = tokens
            view = await d.until(old, lambda t: t["reporter"]["name"] == ERASED,
                                 "data pribadi dihapus karena retensi", who=staff)
            await asyncio.sleep(1.0)  # more timer rounds: nothing more
            assert len(erasures(hd.runtime.service("desk").store)) == 1
            [event] = [e["event"] for e in view["timeline"]
                       if e["type"] == "ticket.personal_data_erased"]
            assert event["reason"] == "retention" and event["actor"]["role"] == "system"
            assert view["status"] == "closed" and view["description"] == ERASED
            still = await d.view(kept, staff)
            assert still["reporter"]["name"] == "Rina Masihbuka"  # open: not due

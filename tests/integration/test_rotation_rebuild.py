"""A bulk rebuild of the desk with a rotating tier (`Tier.round_robin`) decides nothing again:
the round-robin assignments are replayed as rows, the turn (the desk's own row) is kept, and the
live consumer afterwards neither assigns twice nor restarts the turn. Real nats-server."""

from __future__ import annotations

import nats

from conftest import make_settings, running_helpdesk
from lpse_helpdesk.platform import rebuild
from lpse_helpdesk.platform.service import ServiceContext
from lpse_helpdesk.platform.store import ServiceStore
from lpse_helpdesk.services import definition
from scenario import PASSWORD, Desk, types
from test_rebuild import drained, rows
from test_round_robin import assigned_to, rotating_helpdesk


async def test_a_rebuild_keeps_the_turn_and_assigns_nothing_twice(tmp_path, nats_server):
    settings = make_settings(tmp_path, nats_server.url)
    units = rotating_helpdesk()
    async with running_helpdesk(settings, standards=units) as hd:
        batam = Desk(hd, "batam")
        kepala = await batam.staff("kepala.btm", "kepala_unit")
        await batam.staff("hd.satu", "helpdesk")
        await batam.staff("hd.dua", "helpdesk")
        made = [await batam.report(subject=f"Masalah SPSE nomor {i}") for i in range(2)]
        assert [await assigned_to(batam, t, kepala) for t in made] == ["hd.dua", "hd.satu"]
        await drained(hd)
        before = rows(hd.runtime.service("desk").store)

    # Into a fresh store (nothing tracked): the two receipts at the rotating tier are left to
    # the live consumer, which would decide them; the bulk path itself writes only rows.
    fresh = make_settings(tmp_path / "fresh", nats_server.url)
    store = ServiceStore("desk", fresh, definition("desk").tables)
    try:
        desk = definition("desk").build(ServiceContext(fresh, store, units))
        [spec] = definition("desk").consumers(desk)
        nc = await nats.connect(nats_server.url)
        try:
            result = await rebuild.rebuild_from_stream(nc, store, spec)
        finally:
            await nc.close()
        assert result.tracked == result.replayed - 2 == len(before["ticket_events"]) - 2
        assert rows(store) == before and store.notifications(0, 10**6) == []
    finally:
        store.close()

    store = ServiceStore("desk", settings, definition("desk").tables)
    try:
        desk = definition("desk").build(ServiceContext(settings, store, units))
        [spec] = definition("desk").consumers(desk)
        nc = await nats.connect(nats_server.url)
        try:
            result = await rebuild.rebuild_from_stream(nc, store, spec)
        finally:
            await nc.close()
        # Every event was handled before the rebuild: all tracked, nothing left to decide.
        assert result.tracked == result.replayed == len(before["ticket_events"])
        assert rows(store) == before
        assert store.query(f"SELECT tenant, tier, last_assignee FROM {store.prefix}_rotation"
                           ) == [("batam", "helpdesk", "hd.satu")]
    finally:
        store.close()

    async with running_helpdesk(settings, standards=units) as hd:
        batam = Desk(hd, "batam")
        batam.tokens[kepala] = (await hd.http.post(
            "/api/v1/auth/token", json={"username": kepala, "password": PASSWORD})).json()[
            "access_token"]
        third = await batam.report(subject="Masalah SPSE nomor 3")
        assert await assigned_to(batam, third, kepala) == "hd.dua"  # the turn goes on
        await drained(hd)
        for ticket in made:
            assert types(await batam.view(ticket, kepala)).count("assigned") == 1

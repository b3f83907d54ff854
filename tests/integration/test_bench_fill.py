"""`bench --history`'s fill (`benchfill.fill_direct`: in-process through each service's
application layer, by phases, no HTTP) stores the same events as one ticket's life made step by
step over HTTP: the same types and fields (ids, times and numbers aside) and the same desk
read-model row; and every ticket gets exactly the steps its drawn life has."""

from __future__ import annotations

import asyncio
import re

import msgspec
from conftest import make_settings, running_helpdesk

from lpse_helpdesk import benchfill
from lpse_helpdesk.benchstaff import SCORES, _login, _send, _Staff, add_staff
from lpse_helpdesk.schemas import decode_event

TICKETS = 10
# Fields that differ between two tickets with the same inputs: ids, times, numbers, tokens.
VARYING = re.compile(r"(^|_)(id|at|number|token|key|deadline|due|seq|message_id|sha256)$")
DESK_STEPS = {"reply": "ticket.replied", "close": "ticket.closed", "survey": "ticket.survey_submitted"}


def _normal(value, number: str):
    if isinstance(value, dict):
        return {k: _normal(v, number) for k, v in sorted(value.items()) if not VARYING.search(k)}
    if isinstance(value, list):
        return [_normal(v, number) for v in value]
    if isinstance(value, str):
        return value.replace(number, "<nomor>")
    return value


def events_of(store, number: str) -> list:
    """The ticket's events as the desk keeps them, normalised and sorted (the order between
    services' outboxes is not the same from one run to the next)."""
    (ticket_id,), = store.query(f"SELECT ticket_id FROM {store.prefix}_tickets WHERE number = ?",
                                (number,))
    rows = store.query(f"SELECT body FROM {store.prefix}_ticket_events WHERE ticket_id = ?",
                       (ticket_id,))
    found = [_normal(msgspec.to_builtins(decode_event(body.encode())), number)
             for (body,) in rows]
    return sorted(found, key=lambda e: msgspec.json.encode(e, order="sorted"))


def desk_row(store, number: str) -> dict:
    rows = store.query(f"SELECT * FROM {store.prefix}_tickets WHERE number = ?", (number,))
    names = [c for (c,) in store.query(
        f"SELECT name FROM pragma_table_info('{store.prefix}_tickets')")]
    return _normal(dict(zip(names, rows[0], strict=True)), number)


async def one_life(base: str, nats_url: str, life: benchfill.Life) -> str:
    """`life` made one step after the other, each step caught up before the next."""
    import httpx

    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        staff = _Staff(http, await _login(http))
        r = await _send(http, "POST", "/api/v1/tickets", json=benchfill.ticket_body(life))
        number, token = r.json()["number"], r.json()["access_token"]
        steps = [("reply", {"message": "Sedang kami periksa, mohon ditunggu."})] * life.reply
        steps += [("escalate", {"reason": "Perlu tingkat berikutnya."}),
                  ("answer", {"message": "Sudah diperbaiki di sistem."})] * life.escalate
        steps += [("close", {"resolution": "Kendala sudah diselesaikan."})] * life.close
        await benchfill.caught_up(nats_url)
        for action, body in steps:
            await staff.act(life.unit, number, action, body)
            await benchfill.caught_up(nats_url)
        if life.survey:
            s = await _send(http, "POST", f"/api/v1/tickets/{number}/survey",
                            params={"token": token},
                            json={"scores": SCORES, "comment": "Terima kasih"})
            assert s.status_code == 201, s.text
            await benchfill.caught_up(nats_url)
        assert staff.conflicts == 0
    return number


def test_fill_by_phases_stores_the_same_events_as_one_life_at_a_time(tmp_path, nats_server,
                                                                      sink):
    settings = make_settings(tmp_path, nats_server.url, smtp_url=sink.url)

    async def scenario():
        async with running_helpdesk(settings) as hd:
            desk = hd.runtime.service("desk").store
            add_staff(desk, hd.runtime.standards)
            base = str(hd.http.base_url)
            done = await benchfill.fill_direct(hd.runtime, settings.nats_url, TICKETS)
            assert done["conflicts"] == 0 and len(done["numbers"]) == TICKETS
            for i, (unit, number) in enumerate(done["numbers"]):
                life = benchfill.plan(i)
                types = {e["type"] for e in events_of(desk, number)}
                for step, tag in DESK_STEPS.items():
                    assert (tag in types) == getattr(life, step), (i, step, types)
                assert ("ticket.escalated_to_coordinator" in types) == life.escalate, (i, types)
            # Every kind of life drawn among the first tickets, made again one step at a time
            # with the same inputs: the same events and the same desk row.
            kinds = {benchfill.plan(i)[3:]: i for i in reversed(range(TICKETS))}
            for i in kinds.values():
                phased = done["numbers"][i][1]
                alone = await one_life(base, settings.nats_url, benchfill.plan(i))
                assert events_of(desk, alone) == events_of(desk, phased), i
                assert desk_row(desk, alone) == desk_row(desk, phased), i

    asyncio.run(scenario())


def state_row_as_live(store, standards: dict, number: str) -> None:
    """The desk's state row of the ticket is the one its live projection writes after its
    last event: folded from its whole history (`views._state_values`), column for column."""
    import uuid

    from lpse_helpdesk.services.desk import views
    from lpse_helpdesk.workflow import history
    from lpse_helpdesk.workflow.state import fold_state

    (ticket_id,), = store.query(f"SELECT ticket_id FROM {store.prefix}_tickets WHERE number = ?",
                                (number,))
    events = history.load(store, uuid.UUID(ticket_id)).events
    state = fold_state(events)
    expected = views._state_values(state, events, standards.get(state.tenant))
    rows = store.query(f"SELECT {views.STATE_COLUMNS} FROM {store.prefix}_ticket_state"
                       " WHERE ticket_id = ?", (ticket_id,))
    assert rows == [expected], number


async def _mails_waiting(store) -> int:
    sql = f"SELECT COUNT(*) FROM {store.prefix}_mails WHERE status IN ('pending', 'delivered')"
    return (await asyncio.to_thread(store.query, sql))[0][0]


def test_fast_fill_before_start_is_the_same_data_and_nothing_runs_twice(tmp_path, nats_server,
                                                                      sink):
    """`benchpast.fill_offline` (services offline, the bus played in-process, before the
    helpdesk starts): each kind of life has the same events and desk row as the same life made
    over HTTP afterwards; the started helpdesk relays, handles and mails nothing of it again."""
    from lpse_helpdesk import benchpast
    from lpse_helpdesk.standards import load_standards

    settings = make_settings(tmp_path, nats_server.url, smtp_url=sink.url)
    standards = load_standards()
    done = asyncio.run(benchpast.fill_offline(settings, standards, TICKETS, staff=add_staff))
    assert done["conflicts"] == 0 and len(done["numbers"]) == TICKETS
    assert done["stream_last_seq"] == done["events"]

    async def scenario():
        import nats

        async with running_helpdesk(settings, standards=standards) as hd:
            desk = hd.runtime.service("desk").store
            notify = hd.runtime.service("notify").store
            await asyncio.sleep(3)  # relays and consumers have run a few rounds
            nc = await nats.connect(settings.nats_url)
            js = nc.jetstream()
            assert (await js.stream_info("TICKETS")).state.last_seq == done["events"]
            infos = await js.consumers_info("TICKETS")
            assert infos and all(i.num_pending == 0 and i.num_ack_pending == 0 and
                                 i.delivered.stream_seq in (0, done["events"]) for i in infos)
            await nc.close()
            assert await _mails_waiting(notify) == 0 and sink.messages == []
            for i, (unit, number) in enumerate(done["numbers"]):
                life = benchfill.plan(i)
                types = {e["type"] for e in events_of(desk, number)}
                for step, tag in DESK_STEPS.items():
                    assert (tag in types) == getattr(life, step), (i, step, types)
                state_row_as_live(desk, standards, number)  # the fill's bulk state rows
            kinds = {benchfill.plan(i)[3:]: i for i in reversed(range(TICKETS))}
            for i in kinds.values():
                fast = done["numbers"][i][1]
                alone = await one_life(str(hd.http.base_url), settings.nats_url,
                                       benchfill.plan(i))
                for _ in range(100):  # its mails sent and their events projected
                    if await _mails_waiting(notify) == 0:
                        break
                    await asyncio.sleep(0.1)
                await benchfill.caught_up(settings.nats_url)
                assert events_of(desk, alone) == events_of(desk, fast), i
                assert desk_row(desk, alone) == desk_row(desk, fast), i
            # Mails went out for the new tickets only, none for the history's.
            sent = " ".join(str(m["Subject"]) for _, m in sink.messages)
            assert sink.messages and not any(n in sent for _, n in done["numbers"])

    asyncio.run(scenario())

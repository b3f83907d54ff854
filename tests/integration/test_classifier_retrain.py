"""`lpse-helpdesk classifier retrain` learns a staff member's reclassification from the desk's
store, and triage decides with the retrained model from its next start."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json

from conftest import make_settings, running_helpdesk
from lpse_helpdesk.cli import main
from lpse_helpdesk.services.triage.classifier import TicketClassifier, model_path
from scenario import Desk
from webclient import WebClient

# Made-up words: no training ticket has them, so only the staff's correction can teach them.
SUBJECT = "Zorblax kwimbel frandoza"
DESCRIPTION = "Zorblax kwimbel frandoza plimvot, zorblax kwimbel frandoza plimvot."


def classified(ticket: dict) -> list[dict]:
    return [e["event"] for e in ticket["timeline"] if e["type"] == "ticket.classified"]


async def queued(hd, desk: Desk, who: str, ticket: dict) -> bool:
    r = await hd.http.get("/api/v1/queues", params={"tenant": desk.tenant},
                          headers={"Authorization": f"Bearer {desk.tokens[who]}"})
    assert r.status_code == 200, r.text
    [item] = [i for i in r.json() if i["number"] == ticket["number"]]
    return item["needs_review"]


async def test_retrain_learns_a_staff_correction(tmp_path, nats_server):
    settings = make_settings(tmp_path, nats_server.url)
    shipped = TicketClassifier.default().model.version
    async with running_helpdesk(settings) as hd:
        batam = Desk(hd, "batam")
        helpdesk = await batam.staff("hd.btm", "helpdesk")
        ticket = await batam.report(subject=SUBJECT, description=DESCRIPTION)
        [auto] = classified(await batam.view(ticket, helpdesk))
        assert auto["actor"]["role"] == "system" and auto["model_version"] == shipped
        # No word the model knows: it is unsure, and the queue says so (API and page).
        assert auto["needs_review"] and auto["confidence"] < 0.8, auto
        assert await queued(hd, batam, helpdesk, ticket) is True
        async with WebClient(str(hd.http.base_url)) as web:
            await web.login(helpdesk)
            page = (await web.http.get("/staf/antrean")).text
            assert SUBJECT in page and "perlu ditinjau" in page
        wanted = next(c for c in ("permintaan_layanan", "permasalahan", "gangguan")
                      if c != auto["category"])
        await batam.act(helpdesk, ticket, "classify",
                        {"category": wanted, "reason": "salah kategori"})
        await batam.until(ticket, lambda t: len(classified(t)) == 2, "klasifikasi staf",
                          who=helpdesk)
        assert await queued(hd, batam, helpdesk, ticket) is False  # staff decided

    database = ["--database", settings.database_url] if settings.database_url else []
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = await asyncio.to_thread(main, ["classifier", "retrain", "--tenant", "batam",
                                              "--data-dir", str(settings.data_dir), *database])
    printed = out.getvalue()
    assert code == 0, printed
    assert "staff classifications (unit batam): 1, 1 berbeda" in printed
    assert "sebelum" in printed and "sesudah" in printed and "akurasi" in printed
    written = model_path(settings.data_dir, "batam")
    model = json.loads(written.read_text())
    assert model["corrections"] == 1 and model["version"] != shipped

    # Picked up when triage starts: the unit's model, and only for that unit.
    loaded = TicketClassifier.for_data_dir(settings.data_dir)
    assert loaded.model_for("batam").version == model["version"]
    assert loaded.model_for("lampung").version == shipped
    assert loaded.classify(SUBJECT, DESCRIPTION, "batam").category == wanted

    async with running_helpdesk(settings) as hd:
        batam = Desk(hd, "batam")
        helpdesk = await batam.staff("hd2.btm", "helpdesk")
        again = await batam.report(subject=SUBJECT, description=DESCRIPTION)
        [auto] = classified(await batam.view(again, helpdesk))
        assert auto["model_version"] == model["version"] and auto["category"] == wanted


def test_retrain_refuses_a_bad_unit_name(tmp_path, capsys):
    assert main(["classifier", "retrain", "--tenant", "../etc", "--data-dir",
                 str(tmp_path)]) == 2
    assert "tidak sah" in capsys.readouterr().err


def test_a_state_table_from_before_the_review_mark_gains_it(tmp_path):
    from lpse_helpdesk.platform.store import ServiceStore, Write
    from lpse_helpdesk.services import definition
    from lpse_helpdesk.services.desk import views

    settings = make_settings(tmp_path, "nats://127.0.0.1:1")
    store = ServiceStore("desk", settings, definition("desk").tables)
    try:
        p = store.prefix
        state = next(t for t in views.TABLES if "_ticket_state (" in t)
        old = state.format(p=p)[:state.format(p=p).index(", needs_review")] + ")"  # as it was
        store.execute([Write(f"DROP TABLE {p}_ticket_state"), Write(old)])
        store.execute([Write(f"INSERT INTO {p}_ticket_state VALUES"
                             " ('t', 'N-1', 'batam', 'web', 's', 'open', 'helpdesk', NULL, NULL,"
                             " '2026-01-01T00:00:00Z', NULL, NULL, NULL, NULL, 0, 0, 'ticket')")])
        views.upgrade(store)
        views.upgrade(store)  # a second start changes nothing
        assert store.query(f"SELECT needs_review FROM {p}_ticket_state") == [(0,)]
    finally:
        store.close()

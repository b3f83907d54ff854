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

# Made-up words: no training ticket has them, so only the staff's correction can teach them.
SUBJECT = "Zorblax kwimbel frandoza"
DESCRIPTION = "Zorblax kwimbel frandoza plimvot, zorblax kwimbel frandoza plimvot."


def classified(ticket: dict) -> list[dict]:
    return [e["event"] for e in ticket["timeline"] if e["type"] == "ticket.classified"]


async def test_retrain_learns_a_staff_correction(tmp_path, nats_server):
    settings = make_settings(tmp_path, nats_server.url)
    shipped = TicketClassifier.default().model.version
    async with running_helpdesk(settings) as hd:
        batam = Desk(hd, "batam")
        helpdesk = await batam.staff("hd.btm", "helpdesk")
        ticket = await batam.report(subject=SUBJECT, description=DESCRIPTION)
        [auto] = classified(await batam.view(ticket, helpdesk))
        assert auto["actor"]["role"] == "system" and auto["model_version"] == shipped
        assert auto["needs_review"] == (auto["confidence"] < 0.8)
        wanted = next(c for c in ("permintaan_layanan", "permasalahan", "gangguan")
                      if c != auto["category"])
        await batam.act(helpdesk, ticket, "classify",
                        {"category": wanted, "reason": "salah kategori"})
        await batam.until(ticket, lambda t: len(classified(t)) == 2, "klasifikasi staf",
                          who=helpdesk)

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

"""The reporter's SKM survey (once, after close), the staff's allowed actions, and the head of
unit's figures and CSV report over a period. Real nats-server, real HTTP."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import uuid
from datetime import datetime

import pytest

from conftest import eventually, make_settings, running_helpdesk
from lpse_helpdesk.schemas import InvalidEvent, decode_event, encode_event, new_envelope
from lpse_helpdesk.schemas import events as ev
from lpse_helpdesk.schemas.export import asyncapi
from lpse_helpdesk.schemas.survey import SKM_ELEMENTS, ikm, mutu
from lpse_helpdesk.standards import load_standards
from scenario import Desk, types

# 4+4+4+4+3+3+3+3+4 = 32 over nine elements: mean 3.5556, IKM 88.89, mutu A.
SCORES = dict(persyaratan=4, prosedur=4, waktu=4, biaya=4, produk=3, kompetensi=3, perilaku=3,
              pengaduan=3, sarana=4)
ZONE = load_standards()["batam"].zone


@pytest.fixture
async def hd(tmp_path, nats_server):
    async with running_helpdesk(make_settings(tmp_path, nats_server.url)) as running:
        yield running


@pytest.fixture
async def hd_any_db(tmp_path, nats_server, database_url):
    """SQLite and PostgreSQL: the figures and the CSV are SQL over the desk's tables."""
    async with running_helpdesk(make_settings(tmp_path, nats_server.url, database_url)) as running:
        yield running


def local_day(stamp: str) -> str:
    return datetime.fromisoformat(stamp).astimezone(ZONE).date().isoformat()


def test_survey_event_contract_and_ikm_letters():
    event = ev.SurveySubmitted(**new_envelope(uuid.uuid4(), "batam"),
                               scores=ev.SkmScores(**SCORES), comment="ramah")
    assert decode_event(encode_event(event)) == event
    data = json.loads(encode_event(event))
    data["scores"]["waktu"] = 5
    with pytest.raises(InvalidEvent, match=r"\$\.scores\.waktu"):
        decode_event(json.dumps(data))
    assert asyncapi()["operations"]["publish_survey_submitted"]["x-owner"] == "desk"
    assert [key for key, _ in SKM_ELEMENTS] == list(SCORES)
    assert ikm(32 / 9) == 88.89 and mutu(88.89) == "A"
    assert [mutu(v) for v in (100, 88.31, 88.30, 76.61, 76.60, 65.0, 64.99, 25.0)] == [
        "A", "A", "B", "B", "C", "C", "D", "D"]


async def test_survey_once_after_close_then_figures_and_csv(hd_any_db):
    hd = hd_any_db
    d = Desk(hd, "batam")
    helpdesk, head = await d.staff("hd.btm", "helpdesk"), await d.staff("kepala.btm", "kepala_unit")
    lampung = Desk(hd, "lampung")
    outsider = await lampung.staff("koor.lpg", "koordinator")
    t = await d.report(subject="Tidak bisa login SPSE", description="Error saat login SPSE")
    other = await d.report(subject="Mohon info pelatihan", description="Kapan pelatihan SPSE?")
    url = f"/api/v1/tickets/{t['number']}/survey"
    body = {"scores": SCORES, "comment": "Terima kasih, cepat ditangani"}

    r = await hd.http.post(url, params={"token": t["access_token"]}, json=body)
    assert r.status_code == 409 and "belum ditutup" in r.json()["detail"], r.text
    r = await hd.http.post(url, json=body)
    assert r.status_code == 401 and r.json()["field"] == "token"

    await d.act(helpdesk, t, "close", {"resolution": "Sertifikat diperbarui"})
    view = await d.view(t)
    assert view["status"] == "closed" and view["survey_submitted"] is False
    assert view["allowed_actions"] == []  # reporters get no staff actions

    r = await hd.http.post(url, params={"token": "salah"}, json=body)
    assert r.status_code == 404
    r = await hd.http.post("/api/v1/tickets/BTM-2000-999999/survey",
                           params={"token": t["access_token"]}, json=body)
    assert r.status_code == 404
    r = await hd.http.post(url, params={"token": t["access_token"]},
                           json={"scores": {**SCORES, "waktu": 5}})
    assert r.status_code == 400 and r.json()["field"] == "scores.waktu", r.text
    assert "`scores.waktu`" in r.json()["detail"], r.text
    r = await hd.http.post(url, params={"token": t["access_token"]},
                           json={"scores": {k: v for k, v in SCORES.items() if k != "sarana"}})
    assert r.status_code == 400 and r.json()["field"].endswith("sarana"), r.text

    # Two at once: the survey row's primary key lets exactly one through.
    first, second = await asyncio.gather(*(
        hd.http.post(url, params={"token": t["access_token"]}, json=body) for _ in range(2)))
    assert sorted([first.status_code, second.status_code]) == [201, 409], (first.text, second.text)
    receipt = (first if first.status_code == 201 else second).json()
    assert receipt["number"] == t["number"] and receipt["type"] == "ticket.survey_submitted"
    assert receipt["event_id"]
    r = await hd.http.post(url, params={"token": t["access_token"]}, json=body)
    assert r.status_code == 409 and "sudah diisi" in r.json()["detail"]

    view = await d.until(t, lambda x: "survey_submitted" in types(x), "survei di timeline")
    # Every service takes the new event in its stride (notify sends nothing for it).
    notify = hd.runtime.service("notify").store
    await eventually(lambda: notify.query(
        f"SELECT COUNT(*) FROM {notify.prefix}_ticket_events WHERE type = ?",
        ("ticket.survey_submitted",))[0][0] == 1, what="notify menerima survei")
    for name in ("desk", "notify", "escalation", "triage", "faq_publisher"):
        store = hd.runtime.service(name).store
        assert store.query(f"SELECT COUNT(*) FROM {store.prefix}_dead_letters")[0][0] == 0, name
    assert view["survey_submitted"] is True
    entry = next(e for e in view["timeline"] if e["type"] == "ticket.survey_submitted")
    assert entry["event"]["scores"] == SCORES and entry["event"]["comment"] == body["comment"]

    # The head of unit's figures over the default period (the last 30 days).
    auth = {"Authorization": f"Bearer {d.tokens[head]}"}
    figures_url = "/api/v1/units/batam/figures"

    async def settled():  # the state rows follow the bus
        figures = (await hd.http.get(figures_url, headers=auth)).json()
        return figures if figures["closed"] == 1 else None

    figures = await eventually(settled, what="angka unit terkini")
    assert figures["open"] == 1 and figures["closed"] == 1  # the existing fields stay
    assert len(figures["per_day"]) == 30 and figures["per_day"][-1]["date"] == figures["to"]
    received_day = local_day(view["timeline"][0]["occurred_at"])
    closed_day = local_day(next(e["occurred_at"] for e in view["timeline"]
                                if e["type"] == "ticket.closed"))
    days = {day["date"]: day for day in figures["per_day"]}
    assert sum(day["received"] for day in figures["per_day"]) == 2
    assert sum(day["closed"] for day in figures["per_day"]) == 1
    assert days[received_day]["received"] >= 1 and days[closed_day]["closed"] == 1
    satisfaction = figures["satisfaction"]
    assert satisfaction["responses"] == 1
    assert satisfaction["ikm"] == 88.89 and satisfaction["mutu"] == "A"
    assert [(e["key"], e["title"], e["average"]) for e in satisfaction["elements"]] == [
        (key, title, float(SCORES[key])) for key, title in SKM_ELEMENTS]
    assert figures["escalations_by_tier"] == {"koordinator": 0, "lkpp": 0}

    # A period without tickets: every day listed with zeros, no averages.
    params = {"from": "2020-02-01", "to": "2020-02-29"}
    empty = (await hd.http.get(figures_url, params=params, headers=auth)).json()
    assert empty["from"] == "2020-02-01" and empty["to"] == "2020-02-29"
    assert len(empty["per_day"]) == 29 and not any(
        day["received"] or day["closed"] for day in empty["per_day"])
    assert empty["satisfaction"]["responses"] == 0 and empty["satisfaction"]["ikm"] is None
    assert empty["satisfaction"]["mutu"] is None
    assert all(e["average"] is None for e in empty["satisfaction"]["elements"])
    assert empty["open"] == 1  # the current figures do not depend on the period
    for bad, field in (({"from": "kemarin"}, "from"),
                       ({"from": "2026-03-02", "to": "2026-03-01"}, "from"),
                       ({"from": "2020-01-01", "to": "2026-01-01"}, "to")):
        r = await hd.http.get(figures_url, params=bad, headers=auth)
        assert r.status_code == 400 and r.json()["field"] == field, (bad, r.text)

    # The CSV report: the same roles, one row per ticket received in the period.
    csv_url = "/api/v1/units/batam/report.csv"
    r = await hd.http.get(csv_url, headers=auth,
                          params={"from": received_day, "to": received_day})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv") and "utf-8" in r.headers["content-type"]
    assert f'filename="laporan-batam-{received_day}-{received_day}.csv"' in (
        r.headers["content-disposition"])
    rows = list(csv.reader(io.StringIO(r.text)))
    assert rows[0] == ["nomor", "diterima", "kanal", "jenis", "kategori", "prioritas", "status",
                       "tingkat", "eskalasi", "ditutup", "tepat_waktu", "pelanggaran_sla", "ikm",
                       # then Batam's own fields (test_custom_fields.py)
                       "lpse", "aplikasi", "kode_error", "kode_tender", "tipe_tiket",
                       "npwp_user_id"]
    by_number = {row[0]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    assert set(by_number) == {t["number"], other["number"]}
    closed_row = by_number[t["number"]]
    assert closed_row["kanal"] == "web" and closed_row["status"] == "closed"
    assert closed_row["diterima"].startswith(received_day)
    assert closed_row["ditutup"].startswith(closed_day) and closed_row["tepat_waktu"] == "ya"
    assert closed_row["eskalasi"] == "0" and closed_row["pelanggaran_sla"] == "tidak"
    assert closed_row["ikm"] == "88.89" and closed_row["kategori"] == view["category"]
    assert by_number[other["number"]]["ikm"] == "" and by_number[other["number"]]["ditutup"] == ""
    assert (await hd.http.get(csv_url)).status_code == 401
    helpdesk_auth = {"Authorization": f"Bearer {d.tokens[helpdesk]}"}
    assert (await hd.http.get(csv_url, headers=helpdesk_auth)).status_code == 403
    outsider_auth = {"Authorization": f"Bearer {lampung.tokens[outsider]}"}
    assert (await hd.http.get(csv_url, headers=outsider_auth)).status_code == 403
    r = await hd.http.get(csv_url, headers=auth, params={"to": "31-12-2026"})
    assert r.status_code == 400 and r.json()["field"] == "to"


async def test_allowed_actions_follow_role_and_state_and_escalations_are_counted(hd):
    d = Desk(hd, "batam")
    helpdesk = await d.staff("hd.btm2", "helpdesk")
    koordinator = await d.staff("koor.btm", "koordinator")
    head = await d.staff("kepala.btm2", "kepala_unit")
    t = await d.report(subject="Gagal unggah dokumen penawaran",
                       description="Muncul error 500 saat unggah dokumen")

    async def allowed(who: str) -> dict:
        return await d.view(t, who)

    mine = (await allowed(helpdesk))["allowed_actions"]
    assert {"reply", "close", "escalate", "request-info", "notes", "classify"} <= set(mine)
    assert "answer" not in mine and "reopen" not in mine
    assert (await allowed(koordinator))["allowed_actions"] == ["classify", "notes"]
    assert (await allowed(head))["allowed_actions"] == ["notes"]

    await d.act(helpdesk, t, "escalate", {"reason": "perlu Koordinator"})
    await d.until(t, lambda x: x["tier"] == "koordinator", "di Koordinator", who=helpdesk)
    assert (await allowed(helpdesk))["allowed_actions"] == ["classify", "notes"]
    assert set((await allowed(koordinator))["allowed_actions"]) == {
        "classify", "notes", "escalate", "answer"}
    await d.act(koordinator, t, "answer", {"message": "Server sudah dipulihkan"})
    await d.until(t, lambda x: x["tier"] == "helpdesk", "kembali ke helpdesk", who=helpdesk)
    await d.act(helpdesk, t, "close", {"resolution": "Server dipulihkan"})
    closed = await d.until(t, lambda x: x["status"] == "closed", "ditutup", who=helpdesk)
    # What the page offers is what the API does: a closed ticket may still be reclassified.
    assert closed["allowed_actions"] == ["classify", "notes", "reopen"]
    await d.act(helpdesk, t, "classify", {"category": "permasalahan", "reason": "salah kategori"})
    assert (await allowed(head))["allowed_actions"] == ["notes", "reopen"]  # batam's monitor

    auth = {"Authorization": f"Bearer {d.tokens[head]}"}

    async def escalations():
        figures = (await hd.http.get("/api/v1/units/batam/figures", headers=auth)).json()
        # The state rows follow the bus; the ticket view already merged the desk's own close.
        done = figures["escalations_by_tier"]["koordinator"] == 1 and figures["closed"] == 1
        return figures if done else None

    figures = await eventually(escalations, what="eskalasi terhitung")
    assert figures["escalations_by_tier"] == {"koordinator": 1, "lkpp": 0}
    assert figures["escalated"] == 1

    doc = (await hd.http.get("/schema/openapi.json")).json()
    assert "/api/v1/tickets/{number}/survey" in doc["paths"]
    assert "/api/v1/units/{tenant}/report.csv" in doc["paths"]
    query = {p["name"] for p in doc["paths"]["/api/v1/units/{tenant}/figures"]["get"]["parameters"]}
    assert {"from", "to"} <= query


async def test_the_csv_report_names_its_charset_once(hd):
    d = Desk(hd, "batam")
    head = await d.staff("kepala.csv", "kepala_unit")
    r = await hd.http.get("/api/v1/units/batam/report.csv",
                          params={"from": "2020-02-01", "to": "2020-02-29"},
                          headers={"Authorization": f"Bearer {d.tokens[head]}"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "text/csv; charset=utf-8"
    assert r.text.splitlines()[0].startswith("nomor,diterima,")
    # The pages are text too: Litestar adds the charset, the page must not add it again.
    assert (await hd.http.get("/")).headers["content-type"] == "text/html; charset=utf-8"

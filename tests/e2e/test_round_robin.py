"""Round-robin per tier (`Tier.round_robin`, `services/desk/rotation.py`): with Helpdesk
rotating, each ticket received goes to the unit's helpdesk staff in turn, by the system, the turn
kept across a restart; the per-agent figures count them. Real nats-server, real HTTP, on SQLite
and PostgreSQL."""

from __future__ import annotations

import msgspec

from conftest import eventually, make_settings, running_helpdesk
from lpse_helpdesk.standards import load_standards
from scenario import PASSWORD, Desk, types


def rotating_helpdesk() -> dict:
    units = load_standards()
    batam = units["batam"]
    chain = tuple(msgspec.structs.replace(t, round_robin=t.tier == "helpdesk")
                  for t in batam.escalation)
    return {**units, "batam": msgspec.structs.replace(batam, escalation=chain)}


async def assigned_to(desk: Desk, created: dict, who: str) -> str:
    ticket = await desk.until(created, lambda t: t["assignee"] != "", "ditugaskan bergiliran",
                              who=who)
    entry = next(e for e in ticket["timeline"] if e["type"] == "ticket.assigned")
    assert entry["event"]["actor"]["role"] == "system"
    assert types(ticket).count("assigned") == 1  # once, however often the desk sees it
    return ticket["assignee"]


async def test_three_tickets_go_to_two_helpdesk_users_in_turn(tmp_path, nats_server,
                                                              database_url):
    settings = make_settings(tmp_path, nats_server.url, database_url)
    units = rotating_helpdesk()
    async with running_helpdesk(settings, standards=units) as hd:
        batam, lampung = Desk(hd, "batam"), Desk(hd, "lampung")
        kepala = await batam.staff("kepala.btm", "kepala_unit")
        await batam.staff("hd.satu", "helpdesk")
        await batam.staff("hd.dua", "helpdesk")
        await lampung.staff("hd.lpg", "helpdesk")
        made = [await batam.report(subject=f"Masalah SPSE nomor {i}") for i in range(3)]
        turns = [await assigned_to(batam, t, kepala) for t in made]
        assert turns == ["hd.dua", "hd.satu", "hd.dua"]  # usernames in order, round again
        # Lampung's helpdesk tier does not rotate: its ticket stays in the shared queue.
        other = await lampung.report(subject="Tidak bisa login")
        assert (await lampung.view(other, "hd.lpg"))["assignee"] == ""
        headers = {"Authorization": f"Bearer {batam.tokens[kepala]}"}

        async def per_agent():
            r = await hd.http.get("/api/v1/units/batam/figures", headers=headers)
            rows = {row["username"]: row["open_assigned"] for row in r.json()["agents"]}
            return rows if rows.get("hd.dua") == 2 else None

        assert await eventually(per_agent, what="angka per petugas") == {
            "kepala.btm": 0, "hd.satu": 1, "hd.dua": 2}

    # The turn survives a restart: the next ticket goes to hd.satu, not back to the first.
    async with running_helpdesk(settings, standards=units) as hd:
        batam = Desk(hd, "batam")
        r = await hd.http.post("/api/v1/auth/token",
                               json={"username": "kepala.btm", "password": PASSWORD})
        batam.tokens["kepala.btm"] = r.json()["access_token"]
        fourth = await batam.report(subject="Masalah SPSE nomor 4")
        assert await assigned_to(batam, fourth, "kepala.btm") == "hd.satu"


async def test_an_escalation_to_a_rotating_tier_goes_from_the_helpdesk_to_a_coordinator(
        tmp_path, nats_server):
    units = load_standards()
    batam = units["batam"]
    chain = tuple(msgspec.structs.replace(t, round_robin=t.tier == "koordinator")
                  for t in batam.escalation)
    units = {**units, "batam": msgspec.structs.replace(batam, escalation=chain)}
    async with running_helpdesk(make_settings(tmp_path, nats_server.url), standards=units) as hd:
        d = Desk(hd, "batam")
        helpdesk = await d.staff("hd.satu", "helpdesk")
        await d.staff("koor.a", "koordinator")
        await d.staff("koor.b", "koordinator")
        t = await d.report(subject="Perlu keputusan Koordinator")
        assert (await d.view(t, helpdesk))["assignee"] == ""  # helpdesk does not rotate here
        await d.act(helpdesk, t, "claim", {})
        await d.act(helpdesk, t, "escalate", {"reason": "perlu Koordinator"})
        ticket = await d.until(t, lambda v: v["assignee"].startswith("koor."), "ke koordinator",
                               who=helpdesk)
        entry = [e for e in ticket["timeline"] if e["type"] == "ticket.assigned"][-1]
        assert entry["event"]["actor"]["role"] == "system"
        assert (ticket["assignee"], entry["event"]["previous"]) == ("koor.a", helpdesk)

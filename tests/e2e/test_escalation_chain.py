"""A four-tier chain (Helpdesk, Koordinator, Admin PPE, LKPP) run over HTTP and NATS: missed
tier deadlines move the ticket up two tiers by themselves, Admin PPE escalates to LKPP from the
staff ticket page recording the LPSE Support ticket (shown to staff, never to the reporter), and
an `lkpp` account answers back down to the helpdesk from the same page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import msgspec

from conftest import make_settings, running_helpdesk
from lpse_helpdesk.standards import load_standards
from lpse_helpdesk.standards.model import Target, Tier
from scenario import Desk
from webclient import WebClient, text_of

DEADLINE = Target(amount=10, unit="minutes", clock="calendar")
REF, URL = "LPSE-SUP-2026-0042", "https://lpse-support.lkpp.go.id/tiket/42"


def four_tiers() -> dict:
    units = load_standards()
    units["batam"] = msgspec.structs.replace(units["batam"], escalation=(
        Tier(tier="helpdesk", role="helpdesk", label="Helpdesk", deadline=DEADLINE),
        Tier(tier="koordinator", role="koordinator", label="Koordinator Helpdesk",
             deadline=DEADLINE),
        Tier(tier="admin_ppe", role="admin_ppe", label="Admin PPE"),
        Tier(tier="lkpp", role="admin_ppe", label="Helpdesk LKPP"),
    ))
    return units


async def test_four_tiers_automatic_then_lkpp_with_its_lpse_support_ticket(tmp_path, nats_server):
    now = {"t": datetime.now(UTC)}
    settings = make_settings(tmp_path, nats_server.url)
    async with running_helpdesk(settings, standards=four_tiers(), now=lambda: now["t"]) as hd:
        d = Desk(hd, "batam")
        helpdesk = await d.staff("hd.btm", "helpdesk")
        await d.staff("ppe.btm", "admin_ppe")
        await d.staff("lkpp.btm", "lkpp")
        t = await d.report(subject="Kode error SPSE-500 saat unggah dokumen",
                           description="Muncul error 500 saat mengunggah dokumen penawaran")

        for tier in ("koordinator", "admin_ppe"):  # each deadline passes unanswered
            now["t"] += timedelta(minutes=11)
            view = await d.until(t, lambda x, tier=tier: x["tier"] == tier, f"naik ke {tier}",
                                 who=helpdesk)
        ups = [e["event"] for e in view["timeline"] if e["type"].startswith("ticket.escalated")]
        assert [(e["from_tier"], e["to_tier"], e["automatic"]) for e in ups] == [
            ("helpdesk", "koordinator", True), ("koordinator", "admin_ppe", True)]
        await d.act(helpdesk, t, "answer", {"message": "x"}, expect=403)  # Admin PPE's tier

        base, page_of = str(hd.http.base_url), f"/staf/tiket/{t['number']}"
        async with WebClient(base) as ppe:
            await ppe.login("ppe.btm")
            page = await ppe.http.get(page_of)
            assert 'name="external_ref"' in page.text and 'name="external_url"' in page.text
            sent = await ppe.form(f"{page_of}/aksi/escalate", {
                "reason": "Perlu perbaikan di server LKPP", "external_ref": REF,
                "external_url": URL}, page=page_of)
            assert sent.status_code == 303, text_of(sent)
            page = await ppe.http.get(page_of)
            assert f'<a href="{URL}" rel="noopener noreferrer">{REF}</a>' in page.text
            assert "Tiket LPSE Support" in text_of(page)
            assert f"(tiket LPSE Support {REF} · {URL})" in text_of(page)  # in its timeline
            assert text_of(page).count("Dieskalasi ke tingkat berikutnya") == 2
            assert 'name="external_ref"' not in page.text  # LKPP is the top: no escalate form

        staff_view = await d.view(t, who=helpdesk)
        assert staff_view["tier"] == "lkpp"
        [to_lkpp] = [e["event"] for e in staff_view["timeline"]
                     if e["type"] == "ticket.escalated_to_lkpp"]
        assert (to_lkpp["external_ref"], to_lkpp["external_url"]) == (REF, URL)
        assert to_lkpp["actor"]["role"] == "admin_ppe" and to_lkpp["automatic"] is False

        reporter_view = msgspec.json.encode(await d.view(t)).decode()
        assert "ticket.escalated_to_lkpp" in reporter_view
        assert REF not in reporter_view and URL not in reporter_view
        assert "external_ref" not in reporter_view and "external_url" not in reporter_view
        async with WebClient(base) as reporter:
            portal = await reporter.http.get("/portal/status", params={
                "nomor": t["number"], "token": t["access_token"]}, follow_redirects=True)
            assert portal.status_code == 200 and t["number"] in portal.text
            assert REF not in portal.text and URL not in portal.text

        async with WebClient(base) as lkpp:
            await lkpp.login("lkpp.btm")
            page = await lkpp.http.get(page_of)
            assert 'id="aksi-answer"' in page.text and 'id="aksi-reply"' not in page.text
            sent = await lkpp.form(f"{page_of}/aksi/answer",
                                   {"message": "Server sudah diperbaiki LKPP."}, page=page_of)
            assert sent.status_code == 303, text_of(sent)
        back = await d.until(t, lambda x: x["tier"] == "helpdesk" and x["status"] == "open",
                             "kembali ke helpdesk", who=helpdesk)
        [answered] = [e["event"] for e in back["timeline"]
                      if e["type"] == "ticket.escalation_answered"]
        assert (answered["from_tier"], answered["actor"]["role"]) == ("lkpp", "lkpp")
        await d.act(helpdesk, t, "close", {"resolution": "Diperbaiki oleh LKPP."})

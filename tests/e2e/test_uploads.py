"""Uploads before a ticket: a byte quota per client address, unused uploads expire, and a full
attachment store refuses files (507) while tickets still flow."""

from __future__ import annotations

import asyncio

import pytest

from conftest import eventually, make_settings, running_helpdesk
from lpse_helpdesk.platform.attachments import AttachmentMissing, AttachmentStore
from lpse_helpdesk.schemas.events import AttachmentRef
from lpse_helpdesk.services.intake import uploads

PDF = b"%PDF-1.4\n" + b"0" * 6_000


async def _upload(hd, client: str, data: bytes = PDF):
    return await hd.http.post("/api/v1/attachments", params={"tenant": "batam", "filename": "a.pdf"},
                              content=data, headers={"Content-Type": "application/pdf",
                                                     "X-Forwarded-For": client})


async def test_each_client_has_an_hourly_byte_quota(tmp_path, nats_server):
    settings = make_settings(tmp_path, nats_server.url, upload_bytes_per_client_per_hour=10_000)
    async with running_helpdesk(settings, services=["intake"]) as hd:
        assert (await _upload(hd, "203.0.113.5")).status_code == 201
        refused = await _upload(hd, "203.0.113.5")
        assert refused.status_code == 429 and "kuota unggah" in refused.json()["detail"]
        assert (await _upload(hd, "198.51.100.5")).status_code == 201


async def test_a_full_attachment_store_refuses_files_and_tickets_still_flow(tmp_path, nats_server):
    settings = make_settings(tmp_path, nats_server.url, attachments_max_bytes=20_000)
    async with running_helpdesk(settings, services=["intake", "triage", "desk"]) as hd:
        codes = [(await _upload(hd, "203.0.113.6")).status_code for _ in range(5)]
        assert codes[0] == 201 and codes[-1] == 507, codes
        full = await _upload(hd, "203.0.113.6")
        assert "penuh" in full.json()["detail"]
        created = (await hd.post_ticket()).json()

        async def classified():
            ticket = await hd.ticket(created)
            return bool(ticket and ticket["category"])

        await eventually(classified, what="a ticket without files flows")


async def test_unused_uploads_expire_and_used_ones_stay(tmp_path, nats_server):
    settings = make_settings(tmp_path, nats_server.url, uploads_expire_hours=0.0002)  # 0.72 s
    async with running_helpdesk(settings, services=["intake"]) as hd:
        used = AttachmentRef(**(await _upload(hd, "203.0.113.7")).json())
        unused = AttachmentRef(**(await _upload(hd, "203.0.113.7")).json())
        assert (await hd.post_ticket(attachments=[used.id])).status_code == 201
        await asyncio.sleep(1.0)
        intake = hd.runtime.service("intake").app
        store = AttachmentStore(hd.runtime.broker)
        assert await uploads.expire_unused(intake, store) == 1
        with pytest.raises(AttachmentMissing):
            await store.get(unused)
        assert await store.get(used)  # named by a ticket: kept
        late = await hd.post_ticket(attachments=[unused.id])
        assert late.status_code == 400 and late.json()["field"] == "attachments", late.text
        assert await uploads.expire_unused(intake, store) == 0

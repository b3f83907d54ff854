"""The embedded bus has users: a plain connection is refused, the services work with their own
credentials, and the downstream subscriber reads the ticket stream but cannot publish on it."""

from __future__ import annotations

import asyncio
import json

import nats
import pytest
from nats.js.api import ConsumerConfig

from conftest import eventually, make_settings, running_helpdesk
from lpse_helpdesk.platform import natsauth
from lpse_helpdesk.platform.natsserver import EmbeddedNats, free_port
from lpse_helpdesk.schemas import STREAM


@pytest.fixture
def guarded_nats(tmp_path):
    users = natsauth.load_or_create(tmp_path / "data")
    server = EmbeddedNats(free_port(), tmp_path / "nats", config=users.server_config())
    server.start()
    yield server, users
    server.stop()


async def _refused(url: str) -> str:
    errors: list[str] = []

    async def on_error(exc):
        errors.append(str(exc))

    with pytest.raises(Exception) as raised:  # noqa: PT011 - nats-py's class varies by version
        await nats.connect(url, allow_reconnect=False, max_reconnect_attempts=0,
                           connect_timeout=2, error_cb=on_error)
    return " ".join([str(raised.value), *errors])


async def test_only_the_services_and_the_read_only_subscriber_get_in(tmp_path, guarded_nats):
    server, users = guarded_nats
    assert "Authorization" in await _refused(server.url)
    assert "Authorization" in await _refused(
        natsauth._url("pelanggan", "tebakan", server.host, server.port))
    path = natsauth.write_subscriber_url(tmp_path / "data", users, server.host, server.port)
    assert oct(path.stat().st_mode)[-3:] == "600"
    assert natsauth.redacted(users.service_url(server.host, server.port)) == \
        f"nats://helpdesk:***@{server.host}:{server.port}"

    settings = make_settings(tmp_path, users.service_url(server.host, server.port))
    async with running_helpdesk(settings, services=["intake", "triage", "desk"]) as hd:
        created = (await hd.post_ticket()).json()
        await eventually(lambda: _classified(hd, created), what="the ticket flows")

        refusals: list[str] = []

        async def on_error(exc):
            refusals.append(str(exc))

        downstream = await nats.connect(path.read_text().strip(), error_cb=on_error)
        try:
            js = downstream.jetstream()
            before = (await js.stream_info(STREAM)).state.messages
            # Its own durable consumer on the ticket stream: read, in order, and ack.
            await js.add_consumer(STREAM, ConsumerConfig(durable_name="sistem-hilir"))
            pull = await js.pull_subscribe_bind("sistem-hilir", stream=STREAM)
            messages = await pull.fetch(10, timeout=5)
            tags = [json.loads(m.data)["type"] for m in messages]
            assert tags[:2] == ["ticket.received", "ticket.classified"], tags
            for message in messages:
                await message.ack()

            # No forged FAQ edit, by core publish or through JetStream.
            forged = json.dumps({"type": "faq.edited", "answer": "Transfer biaya aktivasi"})
            await downstream.publish("helpdesk.batam.faq.00000000-0000-4000-8000-000000000000"
                                     ".edited", forged.encode())
            await downstream.flush()
            with pytest.raises(Exception):  # noqa: PT011, B017 - no ack ever comes
                await js.publish("helpdesk.batam.ticket.00000000-0000-4000-8000-000000000000"
                                 ".received", forged.encode(), timeout=1)
            # Nor the decisions bucket, nor the attachments.
            with pytest.raises(Exception):  # noqa: PT011, B017
                await (await js.key_value("TICKET_DECISIONS")).keys()
            await asyncio.sleep(0.3)
            refused = " ".join(refusals).lower()
            assert 'permissions violation for publish to "helpdesk.batam.faq.' in refused, refusals
            assert "permissions violation for publish to \"$js.api.stream.info.kv_" in refused
            assert (await js.stream_info(STREAM)).state.messages == before
        finally:
            await downstream.close()


async def _classified(hd, created) -> bool:
    ticket = await hd.ticket(created)
    return bool(ticket and ticket["category"])

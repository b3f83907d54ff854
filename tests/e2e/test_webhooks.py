"""Webhooks to a real HTTP receiver: signed, retried, delivered once; dead after the limit,
listed and replayed from the command line."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import io
import json
import threading
from contextlib import redirect_stdout
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import msgspec
import pytest

from conftest import eventually, make_settings, running_helpdesk
from lpse_helpdesk.cli import main
from lpse_helpdesk.schemas import decode_event
from lpse_helpdesk.standards import load_standards
from lpse_helpdesk.standards.model import Webhook

SECRET = "rahasia-webhook-unit-batam"


class Receiver:
    """An HTTP server that fails the first `failures` requests, then accepts."""

    def __init__(self, failures: int):
        self.failures, self.requests, self.accepted = failures, [], []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((dict(self.headers), body))
                if len(receiver.requests) <= receiver.failures:
                    self.send_response(503)
                else:
                    receiver.accepted.append((dict(self.headers), body))
                    self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


def with_hook(url: str, events=("ticket.closed",)):
    standards = load_standards()
    standards["batam"] = msgspec.structs.replace(
        standards["batam"], webhooks=(Webhook(url=url, secret=SECRET, events=events),))
    return standards


@pytest.fixture
def receiver():
    r = Receiver(failures=3)
    yield r
    r.close()


async def test_receiver_failing_three_times_gets_the_event_once_signed(tmp_path, nats_server, receiver):
    settings = make_settings(tmp_path, nats_server.url)
    async with running_helpdesk(settings, standards=with_hook(receiver.url, ())) as hd:
        hd.runtime.service("notify").app.base_delay = 0.1
        created = (await hd.post_ticket("batam")).json()
        await eventually(lambda: len(receiver.accepted) >= 2, timeout=20, what="diterima")
        received = [json.loads(b)["type"] for _, b in receiver.accepted]
        assert received.count("ticket.received") == 1
        first = next(r for r in receiver.requests if b'"ticket.received"' in r[1])
        assert first in receiver.requests[:3]  # it was among the three refused
        headers, body = next(a for a in receiver.accepted if b'"ticket.received"' in a[1])
        expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        assert headers["X-Helpdesk-Signature"] == expected
        event = decode_event(body)  # the body is the event exactly as in schemas/
        assert str(event.ticket_id) == created["id"] and headers["X-Helpdesk-Event"] == event.tag
        deliveries = [h["X-Helpdesk-Delivery"] for h, b in receiver.requests if b == body]
        assert len(set(deliveries)) == 1  # retries carry the same delivery id
        # A subscription to every event: the deliveries' own outcomes (notification_sent) are
        # not delivered again, or each delivery would cause the next, without end.
        await asyncio.sleep(2.0)
        sent = sorted(json.loads(b)["type"] for _, b in receiver.accepted)
        assert sent == ["ticket.classified", "ticket.received"], sent


async def test_dead_after_the_limit_listed_and_replayed(tmp_path, nats_server, capsys):
    dead_receiver = Receiver(failures=10**6)
    settings = make_settings(tmp_path, nats_server.url)
    try:
        async with running_helpdesk(settings, standards=with_hook(dead_receiver.url,
                                                                   ("ticket.received",))) as hd:
            notify = hd.runtime.service("notify").app
            notify.base_delay, notify.webhook_attempts = 0.1, 3
            await hd.post_ticket("batam")
            await eventually(lambda: len(dead_receiver.requests) == 3, timeout=20, what="3 percobaan")
            out = io.StringIO()
            await eventually(lambda: _list_dead(settings, out), what="terdaftar mati")
            assert "dead percobaan=3 ticket.received" in out.getvalue()

            dead_receiver.failures = 0  # the receiver is fixed
            capsys.readouterr()
            assert main(["webhooks", "replay", "--data-dir", str(settings.data_dir)]) == 0
            await eventually(lambda: len(dead_receiver.accepted) == 1, timeout=20, what="terkirim")
            assert main(["webhooks", "replay", "--data-dir", str(settings.data_dir)]) == 1
    finally:
        dead_receiver.close()


def _list_dead(settings, out) -> bool:
    buffer = io.StringIO()
    with redirect_stdout(buffer):
        main(["webhooks", "list", "--dead", "--data-dir", str(settings.data_dir)])
    out.seek(0), out.truncate()
    out.write(buffer.getvalue())
    return "dead" in buffer.getvalue()

"""The bench's load, in a process of its own: keep-alive HTTP/1.1 posts to intake, a NATS
subscription timing each `ticket.classified`, and an SMTP listener timing each reporter's
receipt mail ("[NUMBER] Laporan Anda sudah kami terima").

Measured with httpx inside the helpdesk's process, the client took more of the interpreter than
the intake it was loading (about a third of the GIL-held samples in py-spy) and capped the
figure; hence the separate process and the bare asyncio client. Times are `time.monotonic()`,
the same clock in every process of the machine.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time

import nats
from aiosmtpd.controller import Controller

from .benchreport import say
from .platform import eventloop
from .schemas.codec import TICKET_HEADER

REPORTER_EMAIL = "penguji@contoh.co.id"
BODY = {"tenant": "batubara", "channel": "web",
        "reporter": {"name": "Penguji", "email": REPORTER_EMAIL},
        "subject": "Gagal unggah dokumen penawaran",
        "description": "Muncul error 500 saat unggah dokumen penawaran tender."}
RECEIPT = re.compile(rb"^Subject: \[([A-Z]+-\d{4}-\d+)\] Laporan Anda sudah kami terima",
                     re.MULTILINE)


class ReceiptSink:
    """A real SMTP server (aiosmtpd, in its own thread) that notes when each ticket's receipt
    reached the reporter. Every other mail (the unit's "Tiket baru") is accepted and dropped."""

    def __init__(self, port: int, reporter: str = REPORTER_EMAIL):
        self.port, self.reporter = port, reporter
        self.arrived: dict[str, float] = {}  # ticket number -> time the receipt arrived
        self.mails = 0
        self._lock = threading.Lock()
        self._controller = Controller(self, hostname="127.0.0.1", port=port)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook
        at = time.monotonic()
        found = RECEIPT.search(envelope.original_content or envelope.content)
        with self._lock:
            self.mails += 1
            if found and self.reporter in envelope.rcpt_tos:
                self.arrived.setdefault(found.group(1).decode(), at)
        return "250 OK"

    def snapshot(self) -> tuple[dict[str, float], int]:
        """(ticket number -> receipt arrival, mails received), as of now."""
        with self._lock:
            return dict(self.arrived), self.mails

    def __enter__(self) -> ReceiptSink:
        self._controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self._controller.stop()


async def post_all(host: str, port: int, nats_url: str, tickets: int, concurrency: int,
                   smtp_port: int, progress, rate: float | None = None,
                   receipt_wait: float = 120.0) -> dict:
    with ReceiptSink(smtp_port) as sink:
        figures = await _post_and_time(host, port, nats_url, tickets, concurrency, progress, rate)
        # The receipts trail the classifications (notify's sender works through its queue);
        # wait for them, but report what came if some never do.
        deadline = time.monotonic() + receipt_wait
        numbers = figures.pop("numbers")
        while len(numbers.keys() & sink.arrived.keys()) < tickets and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        arrived, figures["mails_received"] = sink.snapshot()
    figures["receipt_latencies"] = [(arrived[n] - sent) * 1000 for n, sent in numbers.items()
                                    if n in arrived]
    figures["receipts_finished"] = max(arrived.values(), default=figures["finished"])
    return figures


async def _post_and_time(host, port, nats_url, tickets, concurrency, progress, rate) -> dict:
    """Closed loop by default: each connection posts its next ticket as soon as the last one
    was answered (the most the helpdesk takes). With `rate`, open loop: ticket i is due at
    start + i/rate, and its latency counts from then, so a late send counts against it too."""
    classified_at: dict[str, float] = {}
    received_at: dict[str, float] = {}  # ticket id -> its `ticket.received` on the bus
    nc = await nats.connect(nats_url)

    async def on_event(msg):
        name = msg.subject.rsplit(".", 1)[1]
        ticket = (msg.headers or {}).get(TICKET_HEADER, "")
        (classified_at if name == "classified" else received_at)[ticket] = time.monotonic()

    # Both stages, so that a slow tail can be told apart: intake's HTTP answer, its relay to
    # the bus (`received`), and triage's decision (`classified`).
    subscriptions = [await nc.subscribe(f"helpdesk.*.ticket.{name}", cb=on_event)
                     for name in ("received", "classified")]
    await nc.flush()
    payload = json.dumps(BODY).encode()
    request = (f"POST /api/v1/tickets HTTP/1.1\r\nHost: {host}:{port}\r\n"
               f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n"
               ).encode() + payload
    posted_at: dict[str, float] = {}  # ticket id -> start of its POST
    answered: list[float] = []  # start of a POST -> its 201, ms
    numbers: dict[str, float] = {}  # ticket number -> start of its POST
    remaining = [tickets]
    started = time.monotonic()

    async def worker():
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while remaining[0] > 0:
                remaining[0] -= 1
                sent = time.monotonic()
                if rate:
                    sent = started + (tickets - remaining[0] - 1) / rate
                    await asyncio.sleep(max(0.0, sent - time.monotonic()))
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                status = int(head.split(b" ", 2)[1])
                length = next(int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                              if line.lower().startswith(b"content-length:"))
                body = await reader.readexactly(length)
                if status != 201:
                    raise RuntimeError(f"POST gagal {status}: {body[:300]!r}")
                answered.append((time.monotonic() - sent) * 1000)
                created = json.loads(body)
                posted_at[created["id"]], numbers[created["number"]] = sent, sent
                if len(posted_at) % max(1, tickets // 10) == 0:
                    progress(f"  {len(posted_at)}/{tickets} tiket dikirim")
        finally:
            writer.close()

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    deadline = time.monotonic() + 120
    while len(posted_at.keys() & classified_at.keys()) < tickets:
        if time.monotonic() > deadline:
            raise TimeoutError(f"hanya {len(classified_at)} dari {tickets} terklasifikasi")
        await asyncio.sleep(0.01)
    finished = max(classified_at[t] for t in posted_at)
    for subscription in subscriptions:
        await subscription.unsubscribe()
    await nc.close()
    return {"started": started, "finished": finished, "numbers": numbers,
            "latencies": [(classified_at[t] - posted_at[t]) * 1000 for t in posted_at],
            "answer_latencies": answered,
            "received_latencies": [(received_at[t] - posted_at[t]) * 1000 for t in posted_at
                                   if t in received_at]}


def client_main(host, port, nats_url, tickets, concurrency, smtp_port, rate, results) -> None:
    """The spawned process's entry point: the figures, or the error, go back on `results`."""
    try:
        results.put(eventloop.run(post_all(host, port, nats_url, tickets, concurrency, smtp_port,
                                         say, rate)))
    except BaseException as exc:  # noqa: BLE001 - reported to the parent
        results.put(exc)

"""`lpse-helpdesk bench`: figures of the embedded deployment on this machine.

Starts its own nats-server and every service (as `up` does) in a temporary folder, posts N
tickets through the public HTTP intake with C at a time, and times each from the start of its
POST to its `ticket.classified` on the bus. Then it measures the rebuild of the desk's read
model from the stream, the peak memory of the processes, and the raw JetStream publish rate
of this machine with nats-py, and prints every figure beside it as a ratio.
"""

from __future__ import annotations

import asyncio
import json
import resource
import statistics
import tempfile
import time
from pathlib import Path

import httpx
import nats

from .platform.natsserver import EmbeddedNats, free_port
from .platform.runtime import Runtime
from .settings import Settings


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def _peak_rss_mb(nats_pid: int | None) -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    server = 0.0
    if nats_pid:
        for line in Path(f"/proc/{nats_pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                server = int(line.split()[1]) / 1024
    return own + server


async def _raw_publish_rate(url: str, count: int) -> float:
    nc = await nats.connect(url)
    js = nc.jetstream()
    await js.add_stream(name="BENCHRAW", subjects=["benchraw.>"])
    body = b'{"x":' + b"1" * 600 + b"}"  # about the size of a ticket event
    started = time.perf_counter()
    for chunk in range(0, count, 100):  # 100 in flight, acks awaited: like a busy relay
        await asyncio.gather(*(js.publish(f"benchraw.{i}", body)
                               for i in range(chunk, min(count, chunk + 100))))
    rate = count / (time.perf_counter() - started)
    await js.delete_stream("BENCHRAW")
    await nc.close()
    return rate


async def _drive(settings: Settings, tickets: int, concurrency: int, progress) -> dict:
    from .services import all_definitions
    from .standards import load_standards

    runtime = Runtime(settings, all_definitions(), standards=load_standards())
    classified_at: dict[str, float] = {}
    async with runtime:
        await asyncio.wait_for(runtime.nats_ready.wait(), 30)
        nc = await nats.connect(settings.nats_url)

        async def on_classified(msg):
            classified_at[msg.subject.split(".")[3]] = time.perf_counter()

        await nc.subscribe("helpdesk.*.ticket.*.classified", cb=on_classified)
        posted_at: dict[str, float] = {}
        base = f"http://{settings.http_host}:{settings.http_port}"
        body = {"tenant": "batubara", "channel": "web", "reporter": {"name": "Penguji"},
                "subject": "Gagal unggah dokumen penawaran",
                "description": "Muncul error 500 saat unggah dokumen penawaran tender."}
        queue: asyncio.Queue[int] = asyncio.Queue()
        for i in range(tickets):
            queue.put_nowait(i)

        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            async def worker():
                while not queue.empty():
                    queue.get_nowait()
                    sent = time.perf_counter()
                    r = await http.post("/api/v1/tickets", json=body)
                    r.raise_for_status()
                    posted_at[r.json()["id"]] = sent
                    if len(posted_at) % max(1, tickets // 10) == 0:
                        progress(f"  {len(posted_at)}/{tickets} tiket dikirim")

            started = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(concurrency)))
            deadline = time.perf_counter() + 120
            while len(set(posted_at) & set(classified_at)) < tickets:
                if time.perf_counter() > deadline:
                    raise TimeoutError(f"hanya {len(classified_at)} dari {tickets} terklasifikasi")
                await asyncio.sleep(0.01)
            finished = max(classified_at[t] for t in posted_at)
        js = nc.jetstream()
        stream_events = (await js.stream_info("TICKETS")).state.messages
        await nc.close()
        latencies = [(classified_at[t] - posted_at[t]) * 1000 for t in posted_at]
        duration = finished - started
        rebuild_rate = await asyncio.to_thread(_rebuild_rate, runtime)
    return {"tickets": tickets, "duration_s": round(duration, 2),
            "tickets_per_s": round(tickets / duration, 1),
            "p50_ms": round(statistics.median(latencies), 1),
            "p95_ms": round(_percentile(latencies, 95), 1),
            "p99_ms": round(_percentile(latencies, 99), 1),
            "events_per_s": round(stream_events / duration, 1),
            "rebuild_events_per_s": round(rebuild_rate, 1)}


def _rebuild_rate(runtime: Runtime) -> float:
    """Replay the desk's projection of every stored ticket event into a fresh store."""
    from .platform.service import ServiceContext
    from .platform.store import ServiceStore, Tracking
    from .services import definition
    from .services.desk.application import DeskService

    events = []
    for name in ("intake", "triage", "escalation", "desk", "notify"):
        events += [n.state for n in runtime.service(name).store.notifications(0, 10**7)]
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(data_dir=Path(folder))
        store = ServiceStore("desk", settings, definition("desk").tables)
        desk = DeskService(ServiceContext(settings, store, runtime.standards))
        from .schemas import decode_event

        started = time.perf_counter()
        for seq, body in enumerate(events, 1):
            decision = desk.project(decode_event(body), seq)
            store.record(decision.events, tracking=Tracking("rebuild", seq), writes=decision.writes)
        rate = len(events) / (time.perf_counter() - started)
        store.close()
    return rate


def run(quick: bool, as_json: bool, tickets: int | None = None, concurrency: int = 32) -> int:
    tickets = tickets or (300 if quick else 3000)
    with tempfile.TemporaryDirectory() as folder:
        server = EmbeddedNats(free_port(), Path(folder) / "nats")
        server.start()
        try:
            settings = Settings(data_dir=Path(folder) / "data", nats_url=server.url,
                                http_port=free_port())
            print(f"bench: {tickets} tiket, {concurrency} bersamaan, data di {folder}", flush=True)
            figures = asyncio.run(_drive(settings, tickets, concurrency,
                                         lambda line: print(line, flush=True)))
            figures["raw_publish_per_s"] = round(asyncio.run(
                _raw_publish_rate(server.url, 5000 if quick else 20000)), 1)
            figures["peak_rss_mb"] = round(_peak_rss_mb(server.process.pid), 1)
        finally:
            server.stop()
    raw = figures["raw_publish_per_s"]
    print(f"tiket/detik (kirim -> terklasifikasi): {figures['tickets_per_s']}"
          f"  ({figures['tickets_per_s'] / raw:.1%} dari publish mentah)")
    print(f"latensi kirim -> terklasifikasi: p50 {figures['p50_ms']} ms, p95 {figures['p95_ms']}"
          f" ms, p99 {figures['p99_ms']} ms")
    print(f"event/detik lewat bus: {figures['events_per_s']}  ({figures['events_per_s'] / raw:.1%}"
          " dari publish mentah)")
    print(f"bangun ulang read model desk: {figures['rebuild_events_per_s']} event/detik")
    print(f"memori puncak (proses helpdesk + nats-server): {figures['peak_rss_mb']} MB")
    print(f"publish JetStream mentah (nats-py) mesin ini: {raw} pesan/detik")
    if as_json:
        print(json.dumps(figures))
    return 0

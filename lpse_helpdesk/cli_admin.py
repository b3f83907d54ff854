"""The operators' commands of `lpse-helpdesk`: dead letters, webhook deliveries, rebuilds (staff
accounts: `cli_users.py`).

They open a service's store directly (the service may be running: the stores take concurrent
writers), so they work the same against SQLite files and PostgreSQL.
"""

from __future__ import annotations

import argparse
import json
import sys

from .platform.natsauth import command_url
from .platform.outbox import SET_ASIDE
from .settings import Settings


def _settings(args: argparse.Namespace) -> Settings:
    from .cli import _settings as settings_from

    return settings_from(args)


def _standards(settings: Settings) -> dict:
    from .cli import _standards as standards_from

    return standards_from(settings)


def cmd_dead_letters(args: argparse.Namespace) -> int:
    from .platform import deadletters
    from .platform.store import ServiceStore
    from .services import NAMES, definition

    settings = _settings(args)
    names = [args.service] if args.service else list(NAMES)
    found, failed = [], 0
    for name in names:
        spec = definition(name)
        store = ServiceStore(name, settings, spec.tables)
        try:
            letters = deadletters.list_dead_letters(store, include_replayed=args.all)
            if args.action == "list":
                found.extend(letters)
                continue
            wanted = [d for d in letters if (args.consumer in (None, d.consumer))
                      and (args.seq in (None, d.stream_seq))]
            if not wanted:
                continue
            app = spec.build(_context(settings, store))
            handlers = {c.name: c.handler for c in spec.consumers(app)}
            for letter in wanted:
                try:
                    if letter.consumer == SET_ASIDE:  # an event the outbox could not publish
                        _republish(args, settings, store, letter)
                        print(f"diterbitkan ulang / republished {name}:outbox#{letter.stream_seq}")
                        continue
                    count = deadletters.replay_dead_letter(store, letter, handlers[letter.consumer])
                    print(f"diputar ulang / replayed {name}:{letter.consumer}#{letter.stream_seq}"
                          f" -> {count} event baru")
                except (deadletters.ReplayFailed, KeyError, OSError, TimeoutError) as exc:
                    failed += 1
                    print(f"GAGAL {name}:{letter.consumer}#{letter.stream_seq}: {exc}",
                          file=sys.stderr)
        finally:
            store.close()
    if args.action == "list":
        if args.json:
            print(json.dumps([{**d.__dict__, "payload": d.payload.decode("utf-8", "replace")}
                              for d in found], ensure_ascii=False))
        elif not found:
            print("Tidak ada dead letter. / No dead letters.")
        for d in [] if args.json else found:
            state = f" (diputar ulang {d.replayed_at})" if d.replayed_at else ""
            print(f"{d.service}:{d.consumer}#{d.stream_seq} {d.subject} percobaan={d.attempts} "
                  f"{d.created_at}{state}\n    {d.error}")
    return 1 if failed else 0


def _republish(args: argparse.Namespace, settings: Settings, store, letter) -> None:
    """Publish a set-aside event now, if the bus takes it (deadletters.republish)."""
    import nats

    from .platform import deadletters, eventloop
    from .platform.bus import nats_servers, tls_for
    from .schemas import STREAM

    async def publish_it() -> None:
        nc = await nats.connect(nats_servers(command_url(settings, args.nats)),
                                connect_timeout=5,
                                tls=tls_for(settings.nats_ca_file), max_reconnect_attempts=1)
        try:
            js = nc.jetstream()

            async def publish(subject: str, body: bytes, msg_id: str) -> bool:
                ack = await js.publish(subject, body, stream=STREAM,
                                       headers={"Nats-Msg-Id": msg_id}, timeout=5)
                return bool(ack.duplicate)

            limit = min(settings.max_body_bytes, nc.max_payload - 1024)
            await deadletters.republish(store, letter, publish, limit)
        finally:
            await nc.close()

    eventloop.run(publish_it())


def _context(settings: Settings, store):
    from .platform.service import ServiceContext

    return ServiceContext(settings, store, _standards(settings))


def cmd_webhooks(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from .platform.store import ServiceStore
    from .services import definition
    from .services.notify import webhooks
    from .platform.store import utc_text

    settings = _settings(args)
    store = ServiceStore("notify", settings, definition("notify").tables)
    try:
        if args.action == "list":
            rows = webhooks.listing(store, "dead" if args.dead else None)
            if args.json:
                print(json.dumps([{**r.__dict__, "body": json.loads(r.body)} for r in rows]))
            elif not rows:
                print("Tidak ada pengiriman webhook. / No webhook deliveries.")
            for r in [] if args.json else rows:
                print(f"{r.id} {r.status} percobaan={r.attempts} {r.event_type} -> {r.url}"
                      + (f"\n    {r.last_error}" if r.last_error else ""))
            return 0
        dead = [r.id for r in webhooks.listing(store, "dead")]
        wanted = dead if args.id is None else [i for i in dead if i == args.id]
        if not wanted:
            print("Tidak ada webhook mati yang cocok. / No matching dead delivery.", file=sys.stderr)
            return 1
        for delivery_id in wanted:
            webhooks.replay(store, delivery_id, utc_text(datetime.now(UTC)))
            print(f"dijadwalkan ulang / queued again: {delivery_id}")
        return 0
    finally:
        store.close()


def _count(n: int) -> str:
    return f"{n:,}".replace(",", ".")  # Indonesian thousands: 15.000


def _progress(consumer: str, read: int, total: int) -> None:
    """The rebuild as it reads: to stderr, so stdout keeps only the result."""
    if read == 0:
        print(f"{consumer}: membaca {_count(total)} pesan dari stream / reading {total:,} stream"
              " messages", file=sys.stderr, flush=True)
    else:
        print(f"{consumer}: … {_count(read)} / {_count(total)} pesan", file=sys.stderr,
              flush=True)


def cmd_rebuild(args: argparse.Namespace) -> int:
    from .platform import eventloop, rebuild
    from .platform.bus import tls_for
    from .platform.service import ServiceContext
    from .platform.store import ServiceStore
    from .services import definition

    settings = _settings(args)
    spec = definition(args.service)
    store = ServiceStore(spec.name, settings, spec.tables)
    try:
        app = spec.build(ServiceContext(settings, store, _standards(settings)))
        views = [c for c in spec.consumers(app) if c.rebuild_tables]
        if not views:
            print(f"Layanan `{spec.name}` tidak punya read model yang bisa dibangun ulang.",
                  file=sys.stderr)
            return 1
        # Bulk (desk's view): replayed here, in large batches; the consumer resumes after it.
        bulk = [c for c in views if c.bulk is not None]
        for spec_, result in zip(bulk, eventloop.run(rebuild.rebuild_in_bulk(
                store, bulk, command_url(settings, args.nats), settings.max_body_bytes,
                _progress,
                tls_for(settings.nats_ca_file)))):
            print(f"Read model {spec_.name} dibangun ulang dari {result.replayed} pesan stream; "
                  f"consumer lanjut dari urutan {result.resume_at}. / Rebuilt from "
                  f"{result.replayed} stream messages; the consumer resumes at {result.resume_at}.")
        # The others (the FAQ's): emptied, and the live consumer replays the stream.
        names = rebuild.reset_tables(store, [c for c in views if c.bulk is None])
        if names:
            eventloop.run(rebuild.delete_consumers(command_url(settings, args.nats), names,
                                                   tls_for(settings.nats_ca_file)))
    finally:
        store.close()
    if names:
        print(f"Read model {', '.join(names)} dikosongkan; jalankan layanan `{spec.name}` lagi "
              "untuk memutar ulang stream dari awal. / Emptied; start the service to replay the "
              "stream.")
    return 0

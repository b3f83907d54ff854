"""The operators' commands of `lpse-helpdesk`: dead letters, webhook deliveries, rebuilds (staff
accounts: `cli_users.py`).

They open a service's store directly (the service may be running: the stores take concurrent
writers), so they work the same against SQLite files and PostgreSQL.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from . import bootstrap
from .platform import eventloop
from .platform.natsauth import command_url
from .platform.outbox import SET_ASIDE
from .platform.store import ServiceStore, utc_text
from .schemas import STREAM
from .settings import Settings

if TYPE_CHECKING:
    from .platform.deadletters import DeadLetter

# The services and the bus client (Litestar, faststream) are imported by the commands that use
# them, not with `cli`: every command would wait for them, `--help` included.


def cmd_dead_letters(args: argparse.Namespace) -> int:
    from .platform import deadletters
    from .services import NAMES, definition

    settings = bootstrap.settings_from(args)
    names = [args.service] if args.service else list(NAMES)
    found, failed = [], 0
    for name in names:
        spec = definition(name)
        store = bootstrap.open_store(spec, settings)
        try:
            letters = deadletters.list_dead_letters(store, include_replayed=args.all)
            if args.action == "list":
                found.extend(letters)
                continue
            wanted = [d for d in letters if (args.consumer in (None, d.consumer))
                      and (args.seq in (None, d.stream_seq))]
            if not wanted:
                continue
            app = bootstrap.build_service(spec, settings, bootstrap.unit_standards(settings),
                                          store=store).app
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
        found = _page(args, found, lambda d: (d.created_at, d.service, d.consumer, d.stream_seq))
        if found is None:
            return 2
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


def _republish(args: argparse.Namespace, settings: Settings, store: ServiceStore,
               letter: DeadLetter) -> None:
    """Publish a set-aside event now, if the bus takes it (deadletters.republish)."""
    from .platform import deadletters, natsonce

    async def publish_it() -> None:
        async with natsonce.connection(command_url(settings, args.nats),
                                       settings.nats_ca_file) as nc:
            js = nc.jetstream()

            async def publish(subject: str, body: bytes, msg_id: str, headers=None) -> bool:
                ack = await js.publish(subject, body, stream=STREAM,
                                       headers={"Nats-Msg-Id": msg_id, **(headers or {})},
                                       timeout=5)
                return bool(ack.duplicate)

            limit = min(settings.max_body_bytes, nc.max_payload - 1024)
            await deadletters.republish(store, letter, publish, limit)

    eventloop.run(publish_it())


def cmd_webhooks(args: argparse.Namespace) -> int:
    from .services import definition
    from .services.notify import webhooks

    settings = bootstrap.settings_from(args)
    store = bootstrap.open_store(definition("notify"), settings)
    try:
        if args.action == "list":
            # By id: stable and unique (a delivery's next attempt time moves as it retries).
            rows = _page(args, webhooks.listing(store, "dead" if args.dead else None),
                         lambda r: (r.id,))
            if rows is None:
                return 2
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


def _page(args: argparse.Namespace, items: list, key) -> list | None:
    """The page `--after`/`--limit` ask for (`platform/paging.py`), the next page's cursor
    said on stderr (stdout keeps the list, and its JSON shape); None after saying why not."""
    from . import refusals
    from .platform import paging

    try:
        page = paging.page_of(items, key, args.after, args.limit)
    except refusals.Invalid as exc:
        print(f"--{exc.field}: {exc.message}", file=sys.stderr)
        return None
    if page.next:
        print(f"Masih ada lagi; halaman berikutnya / more follow: --after {page.next}",
              file=sys.stderr)
    return page.items


def paging_arguments(parser: argparse.ArgumentParser) -> None:
    from .platform.paging import DEFAULT_LIMIT, MAX_LIMIT, decode
    from .refusals import Invalid

    def limit(text: str) -> int:
        if not text.isdigit() or not 1 <= int(text) <= MAX_LIMIT:
            raise argparse.ArgumentTypeError(f"harus 1 sampai {MAX_LIMIT} / must be 1..{MAX_LIMIT}")
        return int(text)

    parser.add_argument("--limit", type=limit, default=DEFAULT_LIMIT,
                        help=f"list: paling banyak sekian (bawaan {DEFAULT_LIMIT}, maks. {MAX_LIMIT})")
    def cursor(text: str) -> str:
        try:
            decode(text, None)
        except Invalid as exc:
            raise argparse.ArgumentTypeError(exc.message) from None
        return text

    parser.add_argument("--after", type=cursor,
                        help="list: kursor halaman berikutnya (dicetak di stderr)")


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
    from .platform import rebuild
    from .platform.bus import tls_for

    settings = bootstrap.settings_from(args)
    with bootstrap.offline_service(args.service, settings) as service:
        views = [c for c in service.definition.consumers(service.app) if c.rebuild_tables]
        if not views:
            print(f"Layanan `{args.service}` tidak punya read model yang bisa dibangun ulang.",
                  file=sys.stderr)
            return 1
        nats_url, tls = command_url(settings, args.nats), tls_for(settings.nats_ca_file)
        # Bulk (desk's view): replayed here, in large batches; the consumer resumes after it.
        bulk = [c for c in views if c.bulk is not None]
        try:
            results = eventloop.run(rebuild.rebuild_in_bulk(
                service.store, bulk, nats_url, settings.max_body_bytes, _progress, tls))
        except rebuild.StreamIncomplete as exc:
            print(f"lpse-helpdesk rebuild: {exc}", file=sys.stderr)
            return 1
        for spec, result in zip(bulk, results):
            print(f"Read model {spec.name} dibangun ulang dari {result.replayed} pesan stream; "
                  f"consumer lanjut dari urutan {result.resume_at}. / Rebuilt from "
                  f"{result.replayed} stream messages; the consumer resumes at {result.resume_at}.")
        # The others (the FAQ's): emptied, and the live consumer replays the stream.
        names = rebuild.reset_tables(service.store, [c for c in views if c.bulk is None])
        if names:
            eventloop.run(rebuild.delete_consumers(nats_url, names, tls))
    if names:
        print(f"Read model {', '.join(names)} dikosongkan; jalankan layanan `{args.service}` lagi "
              "untuk memutar ulang stream dari awal. / Emptied; start the service to replay the "
              "stream.")
    return 0

"""`lpse-helpdesk stream refill [--purge]`: the `TICKETS` stream filled again from the service
stores (`platform/refill.py`), with every service stopped. Progress goes to stderr, the summary
to stdout."""

from __future__ import annotations

import argparse
import sys

from . import bootstrap
from .platform import eventloop
from .platform.natsauth import command_url


def _count(n: int) -> str:
    return f"{n:,}".replace(",", ".")  # Indonesian thousands: 15.000


def cmd_refill(args: argparse.Namespace) -> int:
    from nats.errors import Error as NatsError

    from .platform import refill
    from .platform.bus import stream_config
    from .platform.natsonce import connection
    from .services import NAMES, definition

    settings = bootstrap.settings_from(args)
    # Pipeline order: on equal times an upstream service's event goes first (refill.py).
    stores = {name: bootstrap.open_store(definition(name), settings)
              for name in NAMES if name != "web"}

    said = [-1]

    def progress(done: int, about: int) -> None:  # every 10,000 events, and the last
        if done - said[0] >= 10_000 or done >= about or said[0] < 0:
            said[0] = done
            print(f"… {_count(done)} dari ±{_count(about)} event diterbitkan / published",
                  file=sys.stderr, flush=True)

    async def run() -> refill.RefillResult:
        async with connection(command_url(settings, args.nats), settings.nats_ca_file) as nc:
            config = stream_config(settings.stream_replicas, settings.stream_max_age_days,
                                   settings.stream_max_bytes)
            return await refill.refill(nc, stores, config, purge=args.purge,
                                       progress=progress)

    try:
        result = eventloop.run(run())
    except refill.RefillRefused as exc:
        print(f"lpse-helpdesk stream refill: {exc}", file=sys.stderr)
        return 1
    except (NatsError, OSError, TimeoutError) as exc:  # NATS unreachable, a publish refused
        print(f"lpse-helpdesk stream refill: gagal / failed: {exc!r}; stream belum lengkap, "
              "ulangi dengan --purge / the stream is incomplete: run again with --purge",
              file=sys.stderr)
        return 1
    finally:
        for store in stores.values():
            store.close()
    if not result.total:
        print("Peringatan: penyimpanan layanan tidak berisi event; periksa --data-dir/--database."
              " / Warning: the stores hold no events; check --data-dir/--database.",
              file=sys.stderr)
    if result.deleted_messages:
        print(f"Stream lama dihapus ({_count(result.deleted_messages)} pesan). / The old stream "
              f"was deleted ({result.deleted_messages:,} messages).")
    for name, count in result.published.items():
        aside = result.set_aside.get(name, 0)
        print(f"  {name}: {_count(count)} event" + (
            f", {aside} disisihkan (lihat dead-letters list) / set aside" if aside else ""))
    print(f"Stream TICKETS diisi ulang: {_count(result.total)} event, urutan "
          f"{result.first_seq}–{result.last_seq}. Jalankan `lpse-helpdesk rebuild desk`, lalu "
          f"layanan. / Refilled {result.total:,} events (sequences {result.first_seq}–"
          f"{result.last_seq}); now rebuild desk's read model, then start the services.")
    return 0


def add_parsers(sub, common) -> None:
    stream = sub.add_parser("stream", help="stream TICKETS di NATS")
    stream_sub = stream.add_subparsers(dest="action", required=True)
    refill = stream_sub.add_parser(
        "refill", help="isi ulang stream dari penyimpanan layanan (layanan harus berhenti)")
    common(refill)
    refill.add_argument("--nats", help="nats://host:port (HELPDESK_NATS_URL)")
    refill.add_argument("--purge", action="store_true",
                        help="hapus dan buat lagi stream yang masih berisi pesan, lalu isi ulang")
    refill.set_defaults(func=cmd_refill)

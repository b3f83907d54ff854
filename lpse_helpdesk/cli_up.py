"""`lpse-helpdesk up`: the whole helpdesk in this folder, on ports it finds free.

Without a flag, each port (HTTP 8000, SMTP 2525, NATS 4222, or the `HELPDESK_*_PORT` setting)
is the first one tried: if another process holds it, `up` takes the next free one and says
so. A port given as a flag is the user's choice: taken, it is an error naming the flag.
"""

from __future__ import annotations

import argparse
import asyncio
import shlex
import signal
import sys
from dataclasses import replace
from typing import NamedTuple

from . import bootstrap
from .platform import eventloop, natsauth
from .platform.natsauth import SUBSCRIBER_URL_FILE, redacted
from .settings import Settings

SMTP_PORT = 2525  # `up`'s intake listener when neither flag nor setting names one


def first_account_command(settings: Settings) -> str:
    """The command that creates an admin of every unit in this helpdesk's own store."""
    words = ["lpse-helpdesk", "users", "add", "--data-dir", str(settings.data_dir.resolve())]
    if settings.database_url:
        words += ["--database", settings.database_url]
    return shlex.join([*words, "--tenant", "*", "--username", "admin", "--role", "admin"])


def _banner(settings: Settings, runtime) -> None:
    base = f"http://{settings.http_host}:{settings.http_port}"
    lines = ["LPSE Helpdesk siap / ready:"]
    if "web" in runtime.services:
        lines.append(f"  Portal publik  {base}/")
        lines.append(f"  Staf helpdesk  {base}/staf/masuk")
    lines += [
        "  Akun staf pertama / first staff account (kata sandi dibaca dari stdin / password"
        " read from stdin):",
        f"    {first_account_command(settings)}",
        f"  API tiket      {base}/api/v1/tickets",
        f"  OpenAPI        {base}/schema/openapi.json (dokumen: {base}/schema)",
        f"  Kesehatan      {base}/health  {base}/ready  {base}/metrics",
    ]
    if settings.smtp_port:
        lines.append(f"  Surat masuk    smtp://{settings.http_host}:{settings.smtp_port} "
                     "(kirim ke <unit>@... , mis. batam@lpse.local)")
    lines.append(f"  NATS           {redacted(settings.nats_url)}")
    subscriber = settings.data_dir.resolve() / SUBSCRIBER_URL_FILE
    if subscriber.exists():
        lines.append(f"  Pelanggan NATS {subscriber} (URL hanya-baca untuk sistem lain / read-only"
                     " URL for downstream systems)")
    lines.append(f"  Data           {settings.database_url or settings.data_dir.resolve()}")
    lines.append("Tekan Ctrl-C untuk berhenti / press Ctrl-C to stop.")
    print("\n".join(lines), flush=True)


async def serve(settings: Settings, definitions, nats=None, work=None, worker=None) -> int:
    """Run `definitions` here until Ctrl-C or SIGTERM; with `worker` (up: `embedded.Workers`),
    the worker processes too, started once this process serves and each restarted if it dies."""
    from .platform.runtime import Runtime

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    runtime = Runtime(settings, definitions, standards=bootstrap.unit_standards(settings),
                      work=work)
    if worker is not None:
        runtime.companions["worker"] = worker.status
    try:
        async with runtime:
            if worker is not None:
                try:
                    await worker.started()
                except RuntimeError as exc:
                    print(f"Gagal memulai proses pekerja: {exc}", file=sys.stderr)
                    return 1
                runtime.add_task(worker.watch(runtime.stop_event))
            try:
                await asyncio.wait_for(runtime.nats_ready.wait(), 30)
            except TimeoutError:
                print(f"Peringatan: NATS {redacted(settings.nats_url)} belum terhubung; terus mencoba.",
                      file=sys.stderr)
            _banner(settings, runtime)
            await stop.wait()
            print("Berhenti... / stopping...", flush=True)
    finally:
        if worker is not None:  # before NATS, so its consumers stop cleanly
            await asyncio.to_thread(worker.stop)
        if nats is not None:
            nats.stop()
    print("Semua proses berhenti. / Everything stopped.", flush=True)
    return 0


def _moved(label: str, wanted: int, port: int) -> None:
    print(f"Port {label} {wanted} sudah dipakai; memakai {port}. / {label} port {wanted} is"
          f" taken; using {port}.", flush=True)


class Ports(NamedTuple):
    http: int
    smtp: int


def _http_and_smtp_ports(args: argparse.Namespace, settings: Settings) -> Ports | None:
    """The HTTP and SMTP ports to serve on, or None (said why) when a flag's port is taken."""
    from .platform.natsserver import next_free_port, port_is_free

    chosen: list[int] = []
    for label, flag, wanted, given in (
            ("HTTP", "--http-port", settings.http_port, args.http_port is not None),
            ("SMTP", "--smtp-port", settings.smtp_port or SMTP_PORT, args.smtp_port is not None)):
        if wanted not in chosen and port_is_free(wanted, settings.http_host):
            chosen.append(wanted)
        elif given:
            print(f"Port {wanted} ({flag}) sudah dipakai proses lain. Pindahkan dengan {flag} "
                  f"PORT. / Port {wanted} is taken; move it with {flag}.", file=sys.stderr)
            return None
        else:
            chosen.append(next_free_port(wanted + 1, settings.http_host, chosen))
            _moved(label, wanted, chosen[-1])
    return Ports(*chosen)


def cmd_up(args: argparse.Namespace) -> int:
    from .platform.embedded import FRONT, Workers
    from .platform.metricsdir import share_between_processes
    from .platform.keys import load_keys
    from .platform.natsserver import EmbeddedNats, PortTaken
    from .platform.private import make_private
    from .services import all_definitions

    settings = bootstrap.settings_from(args)
    if getattr(args, "workers", None) is not None:  # the flag over HELPDESK_WORKERS
        settings = replace(settings, workers=args.workers)
    # Before nats-server starts in the data folder: it and its files are the helpdesk's alone,
    # and a missing or short secret stops here (SecretError) with nothing started.
    load_keys(settings.data_dir)
    make_private(settings.data_dir.resolve())
    try:
        ports = _http_and_smtp_ports(args, settings)
        if ports is None:
            return 2
        users = natsauth.load_or_create(settings.data_dir)  # the bus has users (natsauth.py)
        nats = EmbeddedNats(settings.nats_port, settings.data_dir / "nats", host="127.0.0.1",
                            config=users.server_config())
        nats.start(move=args.nats_port is None, avoid=ports)
    except PortTaken as exc:
        print(exc, file=sys.stderr)
        return 2
    if nats.port != settings.nats_port:
        _moved("NATS", settings.nats_port, nats.port)
    natsauth.write_subscriber_url(settings.data_dir, users, nats.host, nats.port)
    # One embedded, unclustered nats-server holds one copy; replicas need `run` on a cluster.
    settings = replace(settings, http_port=ports.http, smtp_port=ports.smtp,
                       nats_url=users.service_url(nats.host, nats.port),
                       nats_port=nats.port, stream_replicas=1)
    print(f"nats-server (JetStream) berjalan di {nats.url}, data di {nats.store_dir}", flush=True)
    if settings.workers > 1:
        print(f"Proses pekerja / worker processes: {settings.workers}", flush=True)
    # Before the runtime imports prometheus_client, and only once the ports are ours (another
    # `up` on this folder keeps its counts): the worker's figures show on /metrics too.
    if not share_between_processes(settings.data_dir / "metrics"):
        print("Peringatan: /metrics hanya menampilkan proses depan. / Warning: /metrics shows the"
              " front process only.", file=sys.stderr)
    try:
        return eventloop.run(serve(settings, all_definitions(), nats, work=FRONT,
                                   worker=Workers(settings, settings.workers)))
    finally:
        nats.stop()

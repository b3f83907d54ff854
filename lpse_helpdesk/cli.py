"""`lpse-helpdesk`: the command line (docs/design.md, "The public contract")."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from dataclasses import replace
from pathlib import Path

from . import cli_admin
from .platform import eventloop
from .settings import Settings


def _settings(args: argparse.Namespace) -> Settings:
    return Settings.from_env(
        data_dir=Path(args.data_dir) if getattr(args, "data_dir", None) else None,
        nats_url=getattr(args, "nats", None),
        database_url=getattr(args, "database", None),
        http_port=getattr(args, "http_port", None),
        smtp_port=getattr(args, "smtp_port", None),
        http_host=getattr(args, "http_host", None),
        stream_replicas=getattr(args, "stream_replicas", None),
    )


def _standards(settings: Settings) -> dict:
    from .standards import load_standards

    return load_standards(settings.standards_dir)


async def _serve(settings: Settings, definitions, nats=None, work=None, worker=None) -> int:
    """Run `definitions` here until Ctrl-C or SIGTERM; with `worker` (up), the worker process
    too, started once this process serves and restarted if it dies."""
    from .platform.runtime import Runtime

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    runtime = Runtime(settings, definitions, standards=_standards(settings), work=work)
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
            base = f"http://{settings.http_host}:{settings.http_port}"
            try:
                await asyncio.wait_for(runtime.nats_ready.wait(), 30)
            except TimeoutError:
                print(f"Peringatan: NATS {settings.nats_url} belum terhubung; terus mencoba.",
                      file=sys.stderr)
            print("LPSE Helpdesk siap / ready:", flush=True)
            if "web" in runtime.services:
                print(f"  Portal publik  {base}/", flush=True)
                print(f"  Staf helpdesk  {base}/staf/masuk (akun: lpse-helpdesk users add)",
                      flush=True)
            print(f"  API tiket      {base}/api/v1/tickets", flush=True)
            print(f"  OpenAPI        {base}/schema/openapi.json (dokumen: {base}/schema)", flush=True)
            print(f"  Kesehatan      {base}/health  {base}/ready  {base}/metrics", flush=True)
            if settings.smtp_port:
                print(f"  Surat masuk    smtp://{settings.http_host}:{settings.smtp_port} "
                      "(kirim ke <unit>@... , mis. batam@lpse.local)", flush=True)
            print(f"  NATS           {settings.nats_url}", flush=True)
            print(f"  Data           {settings.database_url or settings.data_dir.resolve()}",
                  flush=True)
            print("Tekan Ctrl-C untuk berhenti / press Ctrl-C to stop.", flush=True)
            await stop.wait()
            print("Berhenti... / stopping...", flush=True)
    finally:
        if worker is not None:  # before NATS, so its consumers stop cleanly
            await asyncio.to_thread(worker.stop)
        if nats is not None:
            nats.stop()
    print("Semua proses berhenti. / Everything stopped.", flush=True)
    return 0


def cmd_up(args: argparse.Namespace) -> int:
    from .platform.embedded import FRONT, WorkerProcess
    from .platform.metricsdir import share_between_processes
    from .platform.natsserver import EmbeddedNats, PortTaken, port_is_free
    from .services import all_definitions

    settings = _settings(args)
    for port, flag in ((settings.http_port, "--http-port"), (settings.smtp_port, "--smtp-port")):
        if not port_is_free(port, settings.http_host):
            print(f"Port {port} ({flag}) sudah dipakai proses lain. Pindahkan dengan {flag} PORT."
                  f" / Port {port} is taken; move it with {flag}.", file=sys.stderr)
            return 2
    nats = EmbeddedNats(args.nats_port, settings.data_dir / "nats", host="127.0.0.1")
    try:
        nats.start()
    except PortTaken as exc:
        print(exc, file=sys.stderr)
        return 2
    # One embedded, unclustered nats-server holds one copy; replicas need `run` on a cluster.
    settings = replace(settings, nats_url=nats.url, stream_replicas=1)
    print(f"nats-server (JetStream) berjalan di {nats.url}, data di {nats.store_dir}", flush=True)
    # Before the runtime imports prometheus_client, and only once the ports are ours (another
    # `up` on this folder keeps its counts): the worker's figures show on /metrics too.
    if not share_between_processes(settings.data_dir / "metrics"):
        print("Peringatan: /metrics hanya menampilkan proses depan. / Warning: /metrics shows the"
              " front process only.", file=sys.stderr)
    try:
        return eventloop.run(_serve(settings, all_definitions(), nats, work=FRONT,
                                  worker=WorkerProcess(settings)))
    finally:
        nats.stop()


def cmd_run(args: argparse.Namespace) -> int:
    from .services import definition

    settings = _settings(args)
    return eventloop.run(_serve(settings, [definition(args.service)]))


def cmd_schemas(args: argparse.Namespace) -> int:
    from .schemas.export import write_all

    for path in write_all(Path(args.out)):
        print(path)
    return 0


def cmd_standards_check(args: argparse.Namespace) -> int:
    from .standards import check_files

    problems = check_files(args.files)
    for line in problems:
        print(line, file=sys.stderr)
    if not problems:
        print(f"OK: {len(args.files)} berkas standar valid / valid")
    return 1 if problems else 0


def cmd_accuracy(args: argparse.Namespace) -> int:
    from .services.triage import accuracy

    return accuracy.main([args.path] if args.path else [])


def cmd_bench(args: argparse.Namespace) -> int:
    from .bench import run

    return run(args.quick, args.json, args.tickets, args.concurrency, args.split, args.rate)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lpse-helpdesk", description="Helpdesk LPSE (Layanan dan Dukungan), event-sourced."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--data-dir", help="folder data (default helpdesk-data / HELPDESK_DATA_DIR)")
        p.add_argument("--database", help="postgresql://... (default: SQLite di folder data)")

    up = sub.add_parser("up", help="jalankan seluruh helpdesk (NATS tertanam + semua layanan)")
    common(up)
    up.add_argument("--http-port", type=int, default=8000)
    up.add_argument("--http-host", default=None)
    up.add_argument("--smtp-port", type=int, default=2525, help="listener SMTP masuk (intake)")
    up.add_argument("--nats-port", type=int, default=4222)
    up.set_defaults(func=cmd_up)

    run = sub.add_parser("run", help="jalankan satu layanan terhadap NATS dan database tertentu")
    run.add_argument("service")
    common(run)
    run.add_argument("--nats", help="nats://host:port (HELPDESK_NATS_URL); a cluster: "
                     "nats://a:4222,nats://b:4222,nats://c:4222")
    run.add_argument("--stream-replicas", type=int, default=None,
                     help="salinan stream/bucket JetStream, mis. 3 pada kluster tiga node "
                          "(HELPDESK_STREAM_REPLICAS, default 1)")
    run.add_argument("--http-port", type=int, default=None)
    run.add_argument("--http-host", default=None)
    run.add_argument("--smtp-port", type=int, default=None,
                     help="intake: juga terima surat di port ini")
    run.set_defaults(func=cmd_run)

    schemas = sub.add_parser("schemas", help="tulis JSON Schema tiap event dan dokumen AsyncAPI")
    schemas.add_argument("--out", default="build/schemas")
    schemas.set_defaults(func=cmd_schemas)

    standards = sub.add_parser("standards", help="standar layanan unit")
    standards_sub = standards.add_subparsers(dest="action", required=True)
    check = standards_sub.add_parser("check", help="validasi berkas standar")
    check.add_argument("files", nargs="+")
    check.set_defaults(func=cmd_standards_check)

    dead = sub.add_parser("dead-letters", help="pesan yang gagal diproses")
    dead.add_argument("action", choices=["list", "replay"])
    common(dead)
    dead.add_argument("--service", help="hanya layanan ini")
    dead.add_argument("--consumer", help="hanya consumer ini (replay)")
    dead.add_argument("--seq", type=int, help="hanya nomor urut stream ini (replay)")
    dead.add_argument("--all", action="store_true", help="termasuk yang sudah diputar ulang")
    dead.add_argument("--json", action="store_true")
    dead.set_defaults(func=cli_admin.cmd_dead_letters)

    users = sub.add_parser("users", help="akun staf")
    users_sub = users.add_subparsers(dest="action", required=True)
    add = users_sub.add_parser("add", help="buat akun staf (kata sandi dibaca dari stdin)")
    common(add)
    add.add_argument("--tenant", required=True, help="unit, mis. batam; `*` untuk admin semua unit")
    add.add_argument("--username", required=True)
    add.add_argument("--role", required=True,
                     help="helpdesk, koordinator, admin_ppe, lkpp, kepala_unit atau admin")
    add.set_defaults(func=cli_admin.cmd_users_add)

    rebuild = sub.add_parser("rebuild", help="bangun ulang read model layanan dari stream")
    rebuild.add_argument("service")
    common(rebuild)
    rebuild.add_argument("--nats", help="nats://host:port (HELPDESK_NATS_URL)")
    rebuild.set_defaults(func=cli_admin.cmd_rebuild)

    hooks = sub.add_parser("webhooks", help="pengiriman webhook ke sistem lain")
    hooks.add_argument("action", choices=["list", "replay"])
    common(hooks)
    hooks.add_argument("--dead", action="store_true", help="list: hanya yang mati")
    hooks.add_argument("--id", help="replay: hanya pengiriman ini (default: semua yang mati)")
    hooks.add_argument("--json", action="store_true")
    hooks.set_defaults(func=cli_admin.cmd_webhooks)

    bench = sub.add_parser("bench", help="ukur kinerja deployment tertanam di mesin ini")
    bench.add_argument("--quick", action="store_true", help="300 tiket, kurang dari semenit")
    bench.add_argument("--json", action="store_true", help="baris terakhir: satu objek JSON")
    bench.add_argument("--tickets", type=int, default=None)
    bench.add_argument("--concurrency", type=int, default=32)
    bench.add_argument("--rate", type=float, default=None,
                       help="tawarkan N tiket/detik (beban terbuka) dan ukur latensinya; "
                            "default: secepat helpdesk menjawab")
    bench.add_argument("--split", action="store_true",
                       help="tiap layanan sebagai proses sendiri (tata letak produksi)")
    bench.set_defaults(func=cmd_bench)

    acc = sub.add_parser("classifier-accuracy", help="akurasi klasifikasi pada set berlabel")
    acc.add_argument("path", nargs="?")
    acc.set_defaults(func=cmd_accuracy)
    return parser


def main(argv: list[str] | None = None) -> int:
    from .platform.observability import setup_logging

    args = build_parser().parse_args(argv)
    if args.command in ("up", "run"):
        setup_logging()
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())

"""`lpse-helpdesk`: the command line (docs/design.md, "The public contract")."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from . import cli_admin, cli_classifier, cli_personal, cli_stream, cli_up, cli_users
from .bootstrap import settings_from
from .platform import eventloop
from .platform.keys import SecretError
from .settings import Count, Positive, SettingsError, WorkerCount, checked


class _Parser(argparse.ArgumentParser):
    """Refuses a bad command line with one line (argparse's says which argument), exit 2."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: argumen salah / bad argument: {message}"
                     f" (lihat / see {self.prog} --help)\n")


def _typed(kind):
    """An argparse `type` that checks a flag's value with the settings' own rule (`kind`);
    argparse names the flag."""
    def convert(text: str):
        try:
            return checked(text, kind)
        except SettingsError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
    return convert


def _service(text: str) -> str:
    """A service's name; checked when given, so that commands without one need not import
    every service to build the parser."""
    from .services import NAMES

    if text not in NAMES:
        raise argparse.ArgumentTypeError(
            f"layanan `{text}` tidak dikenal / unknown service; pilih / choose: {', '.join(NAMES)}")
    return text


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("lpse-helpdesk")
    except PackageNotFoundError:  # a source tree on sys.path, never installed
        return "tidak diketahui / unknown"


def cmd_run(args: argparse.Namespace) -> int:
    from .services import definition

    settings = settings_from(args)
    # Processes of one helpdesk verify each other's tokens: a key file made by each alone in
    # its own folder would make every other process refuse them.
    if "HELPDESK_SECRET" not in os.environ:
        print("lpse-helpdesk run: HELPDESK_SECRET wajib diisi, sama di setiap proses (buat dengan"
              " `openssl rand -hex 32`) / HELPDESK_SECRET is required", file=sys.stderr)
        return 2
    return eventloop.run(cli_up.serve(settings, [definition(args.service)]))


def cmd_secret_rotate(args: argparse.Namespace) -> int:
    from .platform.keys import GRACE_S, rotate

    if "HELPDESK_SECRET" in os.environ:
        print("HELPDESK_SECRET diatur dari lingkungan: ganti nilainya dan taruh yang lama di "
              "HELPDESK_OLD_SECRETS / set a new HELPDESK_SECRET and keep the old one in "
              "HELPDESK_OLD_SECRETS", file=sys.stderr)
        return 2
    settings = settings_from(args)
    key = rotate(settings.data_dir)
    print(f"Kunci baru {key.id} di {settings.data_dir.resolve()}; token dan tautan lama berlaku "
          f"{GRACE_S // 86400} hari lagi. Mulai ulang helpdesk. / New key {key.id}; old tokens "
          "and links work for the grace period. Restart the helpdesk.")
    return 0


def cmd_schemas(args: argparse.Namespace) -> int:
    from .schemas.export import write_all

    try:
        written = write_all(Path(args.out))
    except OSError as exc:
        print(f"lpse-helpdesk: --out: tidak bisa menulis ke / cannot write to `{args.out}`:"
              f" {exc.strerror or exc}", file=sys.stderr)
        return 2
    for path in written:
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

    return run(args.quick, args.json, args.tickets, args.concurrency, args.split, args.rate,
               args.history, args.workers)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="lpse-helpdesk", description="Helpdesk LPSE (Layanan dan Dukungan), event-sourced."
    )
    parser.add_argument("--version", action="version", version=f"lpse-helpdesk {_version()}")
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--data-dir", help="folder data (default helpdesk-data / HELPDESK_DATA_DIR)")
        p.add_argument("--database", help="postgresql://... (default: SQLite di folder data)")

    up = sub.add_parser("up", help="jalankan seluruh helpdesk (NATS tertanam + semua layanan)")
    common(up)
    # Without the flag a port is the first one tried (the setting, else the default) and a
    # free one is taken if it is busy; with the flag, that port or an error (cli_up.py).
    moves = "tanpa flag: port bebas berikutnya bila terpakai / without it: the next free one"
    up.add_argument("--http-port", type=int, default=None,
                    help=f"default 8000 (HELPDESK_HTTP_PORT); {moves}")
    up.add_argument("--http-host", default=None)
    up.add_argument("--smtp-port", type=int, default=None,
                    help=f"listener SMTP masuk (intake), default 2525 (HELPDESK_SMTP_PORT);"
                         f" {moves}")
    up.add_argument("--nats-port", type=int, default=None,
                    help=f"nats-server tertanam, default 4222 (HELPDESK_NATS_PORT); {moves}")
    up.add_argument("--workers", type=_typed(WorkerCount), default=None,
                    help="proses pekerja untuk layanan setelah klasifikasi, 1-4 "
                         "(HELPDESK_WORKERS, default 1)")
    up.set_defaults(func=cli_up.cmd_up)

    run = sub.add_parser("run", help="jalankan satu layanan terhadap NATS dan database tertentu")
    run.add_argument("service", type=_service, help="intake, triage, desk, ...")
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
    dead.add_argument("--service", type=_service, help="hanya layanan ini")
    dead.add_argument("--consumer", help="hanya consumer ini (replay)")
    dead.add_argument("--seq", type=_typed(Count),
                      help="hanya nomor urut stream ini (replay)")
    dead.add_argument("--all", action="store_true", help="termasuk yang sudah diputar ulang")
    dead.add_argument("--json", action="store_true")
    cli_admin.paging_arguments(dead)
    dead.add_argument("--nats", help="replay dari outbox: nats://host:port (default: NATS `up` "
                      "di folder data, atau HELPDESK_NATS_URL)")
    dead.set_defaults(func=cli_admin.cmd_dead_letters)

    cli_users.add_parsers(sub, common)
    cli_classifier.add_parsers(sub, common)
    cli_stream.add_parsers(sub, common)
    cli_personal.add_parsers(sub, common)

    secret = sub.add_parser("secret", help="kunci penanda tangan token")
    secret_sub = secret.add_subparsers(dest="action", required=True)
    rotate = secret_sub.add_parser("rotate", help="ganti kunci; yang lama berlaku 30 hari lagi")
    common(rotate)
    rotate.set_defaults(func=cmd_secret_rotate)

    rebuild = sub.add_parser("rebuild", help="bangun ulang read model layanan dari stream")
    rebuild.add_argument("service", type=_service, help="desk atau faq_publisher")
    common(rebuild)
    rebuild.add_argument("--nats", help="nats://host:port (HELPDESK_NATS_URL)")
    rebuild.set_defaults(func=cli_admin.cmd_rebuild)

    hooks = sub.add_parser("webhooks", help="pengiriman webhook ke sistem lain")
    hooks.add_argument("action", choices=["list", "replay"])
    common(hooks)
    hooks.add_argument("--dead", action="store_true", help="list: hanya yang mati")
    hooks.add_argument("--id", help="replay: hanya pengiriman ini (default: semua yang mati)")
    hooks.add_argument("--json", action="store_true")
    cli_admin.paging_arguments(hooks)
    hooks.set_defaults(func=cli_admin.cmd_webhooks)

    bench = sub.add_parser("bench", help="ukur kinerja deployment tertanam di mesin ini")
    bench.add_argument("--quick", action="store_true", help="300 tiket, kurang dari semenit")
    bench.add_argument("--json", action="store_true", help="baris terakhir: satu objek JSON")
    bench.add_argument("--tickets", type=_typed(Count), default=None)
    bench.add_argument("--concurrency", type=_typed(Count), default=32)
    bench.add_argument("--rate", type=_typed(Positive), default=None,
                       help="tawarkan N tiket/detik (beban terbuka) dan ukur latensinya; "
                            "default: secepat helpdesk menjawab")
    bench.add_argument("--split", action="store_true",
                       help="tiap layanan sebagai proses sendiri (tata letak produksi)")
    bench.add_argument("--history", type=_typed(Count), default=0,
                       help="isi N tiket riwayat dulu (kebanyakan ditutup), lalu ukur juga "
                            "antrean, halaman tiket, dasbor dan byte disk per tiket")
    bench.add_argument("--workers", type=_typed(WorkerCount), default=None,
                       help="proses pekerja tata letak tertanam, 1-4 (default seperti `up`)")
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
    try:
        return int(args.func(args) or 0)
    except (SettingsError, SecretError) as exc:
        print(f"lpse-helpdesk: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

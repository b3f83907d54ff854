"""`lpse-helpdesk personal-data export|erase --email ADDRESS [--tenant T]`: what the helpdesk
holds about a reporter, and its erasure (UU PDP 27/2022; docs/privacy.md).

Both open the desk's store directly, as the other operator commands do, so they work while
the helpdesk runs. `erase` records each ticket's erasure event through the desk's outbox (the
running desk's relay publishes it, and every service scrubs its copies when it consumes it),
deletes the tickets' keys, then deletes their files from the object store over NATS. Run
again, it finishes what an interrupted run left (files, keys); it records nothing twice.
"""

from __future__ import annotations

import argparse
import json
import sys

from . import bootstrap
from .platform import eventloop
from .platform.natsauth import command_url


def _tenants(args: argparse.Namespace, standards) -> list[str] | None:
    if args.tenant is None:
        return sorted(standards)
    if args.tenant not in standards:
        print(f"lpse-helpdesk: --tenant: unit `{args.tenant}` tidak dikenal / unknown unit; "
              f"pilih / choose: {', '.join(sorted(standards))}", file=sys.stderr)
        return None
    return [args.tenant]


def cmd_export(args: argparse.Namespace) -> int:
    from .services.desk import erasure

    settings = bootstrap.settings_from(args)
    with bootstrap.offline_service("desk", settings) as desk:
        tenants = _tenants(args, desk.app.standards)
        if tenants is None:
            return 2
        found = [erasure.export(desk.app, tenant, args.email) for tenant in tenants]
        _log_export(desk.app, found)
    found = [f for f in found if f["tiket"]] or found[:1]
    print(json.dumps(found[0] if len(found) == 1 else found, ensure_ascii=False, indent=2))
    return 0


def _log_export(desk, found: list[dict]) -> None:
    """The export in the personal-data access log, as the operator's account on this machine."""
    import getpass

    from .services.desk import access_log

    for person in found:
        access_log.write_now(desk.store, desk.now(), person["unit"], f"cli:{getpass.getuser()}",
                             "operator", [t["nomor"] for t in person["tiket"]], "ekspor", "lokal")


def cmd_erase(args: argparse.Namespace) -> int:
    from .schemas.envelope import Actor
    from .services.desk import privacy

    settings = bootstrap.settings_from(args)
    actor = Actor(id=args.actor, role="admin")
    erased = []
    with bootstrap.offline_service("desk", settings) as desk:
        tenants = _tenants(args, desk.app.standards)
        if tenants is None:
            return 2
        keys = privacy_keys()
        for tenant in tenants:
            ids = privacy.person_tickets(desk.store, keys, tenant, args.email)
            erased += [(tenant, e) for e in privacy.erase(
                desk.store, desk.app.tickets, keys, tenant, ids, "request", actor)]
        # These tickets' files, and any an earlier erase could not delete.
        files = privacy.pending_files(desk.store)
        done, problem = _delete_files(settings, args.nats, files) if files else ([], "")
        privacy.files_deleted(desk.store, done)
    deleted = len(done)
    for tenant, e in erased:
        state = "dihapus" if e.recorded else "sudah dihapus sebelumnya / erased before"
        print(f"{tenant} {e.number}: {state}; {len(e.attachments)} lampiran")
    if not erased:
        print("Tidak ada tiket dengan alamat itu. / No ticket with that address.")
    if problem:
        print(f"Lampiran belum terhapus dari NATS ({problem}); desk yang berjalan mencoba lagi "
              "dalam 10 menit, atau jalankan perintah ini lagi / files not deleted yet: the "
              "running desk retries, or run this again", file=sys.stderr)
        return 1
    if files:
        print(f"{deleted} berkas lampiran dihapus dari object store / files deleted")
    return 0


def cmd_erase_staff(args: argparse.Namespace) -> int:
    """A staff account's personal data: the account (display name, password hash, OTP
    secrets) is deleted, its tokens are voided everywhere (the running desk publishes the
    revocation), and the store keeps no copy of it (secure delete, WAL truncated). Its
    username stays in the tickets' histories and the access log, which record who acted."""
    import time

    from .platform import privacy_wipe
    from .services import definition
    from .services.desk import accounts

    settings = bootstrap.settings_from(args)
    store = bootstrap.open_store(definition("desk"), settings)
    try:
        accounts.delete(store, args.username, round(time.time(), 3))
        path = privacy_wipe.sqlite_file(store)
    except accounts.AccountNotFound:
        print(f"Gagal: pengguna `{args.username}` tidak ada / no such user", file=sys.stderr)
        return 1
    finally:
        store.close()
    if path is not None and not privacy_wipe.checkpoint(path):
        print(f"{path}: WAL masih dipakai; jalankan lagi / WAL busy: run again", file=sys.stderr)
        return 1
    print(f"Akun staf `{args.username}` dan data pribadinya dihapus; nama penggunanya tetap "
          "tercatat di riwayat tiket dan log akses. / Staff account and its personal data "
          "erased; the username stays in ticket histories and the access log.")
    return 0


def privacy_keys():
    from .services.desk.erasure import keys

    return keys()


def _delete_files(settings, nats_flag: str | None, ids: list[str]) -> tuple[list[str], str]:
    """(the ids whose files are gone now, why not all: "" when all)."""
    from nats.js.errors import NotFoundError, ObjectNotFoundError

    from .platform import natsonce
    from .platform.attachments import BUCKET

    done: list[str] = []

    async def delete_all() -> None:
        async with natsonce.connection(command_url(settings, nats_flag),
                                       settings.nats_ca_file) as nc:
            bucket = await nc.jetstream().object_store(BUCKET)
            for attachment_id in ids:
                try:
                    await bucket.delete(attachment_id)
                except (ObjectNotFoundError, NotFoundError):
                    pass  # gone already
                done.append(attachment_id)

    try:
        eventloop.run(delete_all())
        return done, ""
    except Exception as exc:  # noqa: BLE001 - NATS away: said once; the desk retries
        return done, f"{type(exc).__name__}: {exc}"


def add_parsers(personal_sub, common) -> None:
    for name, func, text in (
            ("export", cmd_export, "cetak semua data pribadi pemilik alamat sebagai JSON"),
            ("erase", cmd_erase, "hapus data pribadi pemilik alamat (helpdesk boleh berjalan)")):
        p = personal_sub.add_parser(name, help=text)
        common(p)
        p.add_argument("--email", required=True, help="alamat e-mail pelapor")
        p.add_argument("--tenant", help="hanya unit ini (default: semua unit)")
        p.add_argument("--nats", help="nats://host:port (default: NATS `up` di folder data, "
                       "atau HELPDESK_NATS_URL)")
        if name == "erase":
            p.add_argument("--actor", default="admin",
                           help="siapa yang menghapus, dicatat di event (default: admin)")
        p.set_defaults(func=func)
    staff = personal_sub.add_parser("erase-staff", help="hapus akun staf dan data pribadinya")
    common(staff)
    staff.add_argument("--username", required=True, help="nama pengguna staf")
    staff.set_defaults(func=cmd_erase_staff)

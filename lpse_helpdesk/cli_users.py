"""`lpse-helpdesk users ...`: staff accounts from the command line.

The commands open the desk's store directly, so they work while the helpdesk runs (the store
takes concurrent writers). Disabling, resetting and deleting also void the account's tokens in
every running process: the change and its revocation are stored together, then the revocation
is written to NATS (`platform/revocations.py`). If NATS cannot be reached the command says so
and exits 1; the running desk sends the stored revocation itself within seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from dataclasses import dataclass

from . import bootstrap
from .platform import eventloop, revocations
from .platform.natsauth import command_url, redacted
from .platform.store import ServiceStore
from .settings import Settings
from .standards import UnitStandard

# The desk's modules and the bus client are imported by the commands, not with `cli`: every
# command would wait for them (Litestar, faststream, argon2), `--help` included.

ROLES = "helpdesk, koordinator, admin_ppe, lkpp, kepala_unit atau admin"


def add_parsers(sub, common) -> None:
    users = sub.add_parser("users", help="akun staf")
    users_sub = users.add_subparsers(dest="action", required=True)
    add = users_sub.add_parser("add", help="buat akun staf (kata sandi dibaca dari stdin)")
    common(add)
    add.add_argument("--tenant", required=True, help="unit, mis. batam; `*` untuk admin semua unit")
    add.add_argument("--username", required=True)
    add.add_argument("--role", required=True, help=ROLES)
    add.add_argument("--display-name", default="",
                     help="nama yang dilihat pelapor, mis. \"Sri Wahyuni\" (bawaan: nama peran)")
    add.set_defaults(func=cmd_add)

    listing = users_sub.add_parser("list", help="daftar akun staf dan keadaannya")
    common(listing)
    listing.add_argument("--tenant", help="hanya unit ini")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(func=cmd_list)

    for action, text, revokes in (
            ("disable", "nonaktifkan akun; tokennya langsung ditolak", True),
            ("enable", "aktifkan lagi akun yang dinonaktifkan", False),
            ("unlock", "buka kunci akun setelah login gagal berulang", False),
            ("reset-password", "kata sandi baru (dari stdin, atau --generate); token lama "
                               "langsung ditolak", True),
            ("delete", "hapus akun; tokennya langsung ditolak", True)):
        command = users_sub.add_parser(action, help=text)
        command.add_argument("username")
        common(command)
        if revokes:
            command.add_argument("--nats", help="nats://host:port tempat pencabutan token "
                                 "dikirim (HELPDESK_NATS_URL; bawaan di folder data `up`: "
                                 "nats-server tertanamnya)")
        if action == "reset-password":
            command.add_argument("--generate", action="store_true",
                                 help="buat kata sandi acak dan tampilkan sekali")
        command.set_defaults(func=cmd_change, change=action)


@dataclass(frozen=True)
class Desk:
    """What the users commands work on: the desk's store and the units' standards."""

    settings: Settings
    store: ServiceStore
    standards: dict[str, UnitStandard]


def _open(args: argparse.Namespace) -> Desk:
    from .services import definition
    from .services.desk.users import upgrade

    settings = bootstrap.settings_from(args)
    store = bootstrap.open_store(definition("desk"), settings)
    upgrade(store)
    return Desk(settings, store, bootstrap.unit_standards(settings))


def _password() -> str | None:
    import getpass

    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    password = getpass.getpass("Kata sandi / password: ")
    if getpass.getpass("Ulangi / repeat: ") != password:
        print("Kata sandi tidak sama. / Passwords differ.", file=sys.stderr)
        return None
    return password


def cmd_add(args: argparse.Namespace) -> int:
    from .services.desk.users import UserError, add_user

    settings = bootstrap.settings_from(args)
    new_folder = not settings.uses_postgres and not settings.data_dir.exists()
    password = _password()
    if password is None:
        return 1
    desk = _open(args)
    store = desk.store
    if new_folder:  # said even if the account is refused: the folder stays
        print(f"Folder data baru: {settings.data_dir.resolve()} (dibuat) / New data folder:"
              f" {settings.data_dir.resolve()} (created)")
    try:
        add_user(store, desk.standards, args.tenant, args.username, args.role, password,
                 args.display_name)
    except UserError as exc:
        print(f"Gagal: {exc}", file=sys.stderr)
        return 1
    finally:
        store.close()
    where = "PostgreSQL" if settings.uses_postgres else settings.data_dir.resolve()
    print(f"Pengguna `{args.username}` ({args.role}, unit {args.tenant}) dibuat di {where}."
          f" / User created in {where}.")
    return 0


def _state(account) -> str:
    if account.state == "terkunci":
        return f"terkunci sampai {account.locked_until[:16].replace('T', ' ')} UTC"
    return account.state


def cmd_list(args: argparse.Namespace) -> int:
    import msgspec

    from .services.desk import accounts

    store = _open(args).store
    try:
        found = accounts.list_accounts(store, args.tenant)
    finally:
        store.close()
    if args.json:
        print(json.dumps(msgspec.to_builtins(found), ensure_ascii=False))
        return 0
    if not found:
        print("Belum ada akun staf. / No staff accounts.")
        return 0
    rows = [("PENGGUNA", "NAMA TAMPILAN", "PERAN", "UNIT", "KEADAAN", "LOGIN TERAKHIR")]
    rows += [(a.username, a.display_name, a.role, a.tenant, _state(a),
              (a.last_login or "belum pernah")[:16].replace("T", " ")) for a in found]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
    return 0


def cmd_change(args: argparse.Namespace) -> int:
    import time

    from .services.desk import accounts
    from .services.desk.users import UserError

    username, change, shown = args.username, args.change, ""
    now = round(time.time(), 3)
    if change == "reset-password":
        password = accounts.generated_password() if args.generate else _password()
        if password is None:
            return 1
        shown = password if args.generate else ""
    desk = _open(args)
    settings, store = desk.settings, desk.store
    try:
        since = {
            "disable": lambda: accounts.set_disabled(store, username, True, now),
            "enable": lambda: accounts.set_disabled(store, username, False, now),
            "unlock": lambda: accounts.unlock(store, username),
            "reset-password": lambda: accounts.reset_password(store, username, password, now),
            "delete": lambda: accounts.delete(store, username, now),
        }[change]()
    except accounts.AccountNotFound:
        print(f"Gagal: pengguna `{username}` tidak ada / no such user", file=sys.stderr)
        store.close()
        return 1
    except UserError as exc:
        print(f"Gagal: {exc}", file=sys.stderr)
        store.close()
        return 1
    done = {"disable": "dinonaktifkan", "enable": "diaktifkan lagi", "unlock": "dibuka kuncinya",
            "reset-password": "diatur ulang kata sandinya", "delete": "dihapus"}[change]
    print(f"Pengguna `{username}` {done}. / User `{username}`: {change} done.")
    if shown:
        print(f"Kata sandi baru (tampil sekali ini saja) / new password, shown once: {shown}")
    try:
        return 0 if since is None else _publish(settings, store, username, since,
                                                command_url(settings, args.nats))
    finally:
        store.close()


def _publish(settings: Settings, store: ServiceStore, username: str, since: float,
             nats_url: str) -> int:
    """The revocation to NATS; exit 1, saying what it means, when NATS cannot take it."""
    from .services.desk import accounts

    try:
        eventloop.run(_send(settings, nats_url, username, since))
    except Exception as exc:  # noqa: BLE001 - any failure to reach NATS: said below
        print(f"PERHATIAN: perubahan tersimpan, tetapi pencabutan token belum terkirim ke NATS "
              f"{redacted(nats_url)} ({exc.__class__.__name__}: {exc}). Layanan desk yang "
              "berjalan mengirimnya dalam beberapa detik; bila desk tidak berjalan, token lama "
              "akun ini masih diterima layanan lain sampai desk berjalan lagi atau token itu "
              "kedaluwarsa (paling lama 8 jam). Ulangi dengan --nats yang benar. / Stored, but "
              "the token revocation did not reach NATS; a running desk sends it within "
              "seconds.", file=sys.stderr)
        return 1
    accounts.mark_published(store, username, since)
    print("Token lama akun ini ditolak di semua layanan. / Its tokens are revoked everywhere.")
    return 0


async def _send(settings: Settings, nats_url: str, username: str, since: float,
                timeout: float = 5.0) -> None:
    """One connection, no reconnects: an unreachable NATS fails within `timeout`."""
    from .platform import natsonce

    async with natsonce.connection(nats_url, settings.nats_ca_file, timeout) as client:
        await asyncio.wait_for(revocations.publish(client.jetstream(timeout=timeout), username,
                                                   since, settings.stream_replicas), timeout)

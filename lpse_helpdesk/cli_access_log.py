"""`lpse-helpdesk personal-data access-log --tenant T --since WHEN [--until WHEN]`: who opened
which ticket's personal data, as CSV on stdout (`services/desk/access_log.py`), for a breach
report. Reads the desk's store while the helpdesk runs; the last half second of accesses may
still be in the running process's memory."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC


def add_parser(personal_sub, common) -> None:
    access = personal_sub.add_parser(
        "access-log", help="log akses petugas ke data pribadi (CSV), untuk laporan kegagalan "
        "pelindungan data (UU PDP Pasal 46)")
    access.add_argument("--tenant", required=True, help="unit, atau * untuk semua unit")
    access.add_argument("--since", required=True,
                        help="sejak YYYY-MM-DD (zona waktu unit) atau waktu ISO 8601")
    access.add_argument("--until", default="",
                        help="sampai sebelum (format sama); bawaan: sekarang")
    common(access)
    access.set_defaults(func=cmd_access_log)


def cmd_access_log(args: argparse.Namespace) -> int:
    from . import bootstrap
    from .services import definition
    from .services.desk import access_log

    settings = bootstrap.settings_from(args)
    standards = bootstrap.unit_standards(settings)
    if args.tenant != "*" and args.tenant not in standards:
        print(f"unit `{args.tenant}` tidak dikenal / unknown unit; pilih / choose: "
              f"{', '.join(sorted(standards))} atau *", file=sys.stderr)
        return 2
    zone = standards[args.tenant].zone if args.tenant != "*" else UTC
    try:
        since = access_log.parse_since(args.since, zone)
        until = access_log.parse_since(args.until, zone) if args.until else None
    except ValueError:
        print("--since/--until tidak sah: gunakan YYYY-MM-DD atau waktu ISO 8601 / invalid time",
              file=sys.stderr)
        return 2
    store = bootstrap.open_store(definition("desk"), settings)
    try:
        rows = access_log.entries(store, args.tenant, since, until)
    finally:
        store.close()
    sys.stdout.write(access_log.as_csv(rows, zone))
    print(f"{len(rows)} akses sejak {since.isoformat()}", file=sys.stderr)
    return 0

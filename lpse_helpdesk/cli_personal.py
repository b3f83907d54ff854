"""`lpse-helpdesk personal-data ...`: reporters' personal data under UU PDP (docs/privacy.md).

A dispatcher only: each subcommand's work lives in its own module, imported when it runs."""

from __future__ import annotations

import argparse


def cmd_seal_existing(args: argparse.Namespace) -> int:
    from .bootstrap import settings_from
    from .sealexisting import seal_existing

    return seal_existing(settings_from(args))


def add_parsers(sub, common) -> None:
    personal = sub.add_parser("personal-data", help="data pribadi pelapor (UU PDP)")
    personal_sub = personal.add_subparsers(dest="action", required=True)

    seal = personal_sub.add_parser(
        "seal-existing", help="enkripsi data pribadi pada event yang tersimpan sebelum fitur ini "
        "(helpdesk harus berhenti)")
    common(seal)
    seal.set_defaults(func=cmd_seal_existing)

    from . import cli_privacy  # export and erase (their own module)

    cli_privacy.add_parsers(personal_sub, common)

    from .cli_access_log import add_parser as add_access_log
    add_access_log(personal_sub, common)

"""A reporter's address asks to stop: the `List-Unsubscribe` link of every mail to a reporter.

Mail clients show an "unsubscribe" button for it, and with `List-Unsubscribe-Post` press it by
POSTing `List-Unsubscribe=One-Click` to the link (RFC 8058); a person opening the link gets a
page with one button that does the same. The link carries the address and an HMAC of it under
the signing key, so nobody can stop mail to an address they did not receive mail at. After it,
the address gets no more mail (limits.py records it with the bounces).
"""

from __future__ import annotations

import asyncio
import hmac
from html import escape
from typing import Any
from urllib.parse import urlencode

from litestar import Controller, MediaType, Response, get, post

from ...platform.http import service_routes

from . import limits

PATH = "/api/v1/mail/berhenti"


def _tag(key: bytes, address: str) -> str:
    # hmac.digest: the one-shot C path, several times cheaper than hmac.new (paid per mail).
    return hmac.digest(key, f"berhenti:{limits.bounce_key(address)}".encode(),
                       "sha256").hex()[:32]


def link(signer, public_url: str, address: str) -> str:
    query = urlencode({"alamat": address, "tanda": _tag(signer.secret, address)})
    return f"{public_url}{PATH}?{query}"


def _genuine(signer, address: str, tag: str) -> bool:
    return any(hmac.compare_digest(_tag(key.secret, address), tag) for key in signer.keys)


_PAGE = """<!doctype html><html lang="id"><meta charset="utf-8"><title>Berhenti menerima surat</title>
<body style="font-family:sans-serif;max-width:36rem;margin:2rem auto"><h1>{heading}</h1><p>{text}</p>
{form}</body></html>"""


def _refused() -> Response:
    return Response(_PAGE.format(heading="Tautan tidak sah", form="", text=(
        "Tautan berhenti ini tidak cocok dengan alamatnya. / This link does not match its "
        "address.")), status_code=404, media_type=MediaType.HTML)


class StopController(Controller):
    path = PATH
    include_in_schema = False

    @get("/")
    async def ask(self, service: Any, alamat: str, tanda: str) -> Response:
        if not _genuine(service.signer, alamat, tanda):
            return _refused()
        form = (f'<form method="post" action="{PATH}?{escape(urlencode({"alamat": alamat, "tanda": tanda}))}">'
                '<button>Berhenti / Stop</button></form>')
        return Response(_PAGE.format(heading="Berhenti menerima surat helpdesk?", form=form, text=(
            f"Alamat {escape(alamat)} tidak akan menerima surat dari helpdesk LPSE lagi, juga "
            "tentang tiket yang masih berjalan.")), media_type=MediaType.HTML)

    @post("/", status_code=200)
    async def stop(self, service: Any, alamat: str, tanda: str) -> Response:
        if not _genuine(service.signer, alamat, tanda):
            return _refused()
        row = limits.bounced(service.store, alamat, limits.STOPPED, service.now())
        await asyncio.to_thread(service.store.execute, [row])
        return Response(_PAGE.format(heading="Selesai", form="", text=(
            f"Alamat {escape(alamat)} tidak akan menerima surat helpdesk lagi. / No more mail "
            "to this address.")), media_type=MediaType.HTML)


def routes(service) -> list:
    return [service_routes(service, StopController)]

"""The counter, `/staf/loket`: a walk-in visitor or a phone call recorded as a ticket
(`POST /api/v1/counter/visits`, `/calls`), and today's guest book of the unit
(`GET /api/v1/counter/visits`). Every call carries the staff member's own token, so the API's
role and unit checks are the only ones.

A recorded visit ends on a printable slip: the queue number, the ticket number, the reporter's
access token and the status link holding it. The slip is the answer to the form's POST, not a
page behind a redirect: the token is shown this once, like a new password on the users' page,
and never sits in an address that browser history or a proxy log would keep."""

from __future__ import annotations

from urllib.parse import urlencode

from litestar import Controller, Request, Response, get, post

from ...platform.auth import Principal
from ..intake.requirements import LABELS, REPORTER_FIELDS
from .answers import refusal, unknown_unit
from .application import WebFrontend
from .pager import cursor_of, pager
from .render import page
from .session import staff_session
from .staff import unit_for, units_for

# The form's channel word -> (the API's channel, its path, the page's title for it).
CHANNELS = {"tamu": ("walk_in", "/api/v1/counter/visits", "Tamu loket"),
            "telepon": ("phone", "/api/v1/counter/calls", "Panggilan telepon")}
VISITOR_INPUTS = [("name", "Nama lengkap", "text"), ("organization", "Instansi/perusahaan", "text"),
                  ("phone", "Nomor telepon/WA", "tel"), ("email", "Alamat email", "email")]
REPORTER_KINDS = [("other", "Lainnya"), ("ppk", "PPK/OPD (pembeli pemerintah)"),
                  ("penyedia", "Penyedia")]


def status_link(web: WebFrontend, number: str, token: str) -> str:
    """The reporter's status link, on the configured public address (never the request's
    Host header, which the browser may have been sent with by anyone)."""
    s = web.settings
    base = (s.public_url or f"http://{s.http_host}:{s.http_port}").rstrip("/")
    return f"{base}/portal/status?{urlencode({'nomor': number, 'token': token})}"


def _forms(unit) -> list[dict]:
    """One form per channel the unit accepts at the counter, with what its standard requires."""
    forms = []
    for word, (channel, _path, title) in CHANNELS.items():
        if not unit.accepts(channel):
            continue
        required = list(unit.required_fields(channel))
        forms.append({"word": word, "title": title, "required": set(required) | {"name"},
                      "documents": [(n, LABELS.get(n, n)) for n in required
                                    if n not in REPORTER_FIELDS],
                      "fields": [(f, channel in f.required) for f in unit.fields]})
    return forms


def entry_of(form, unit, word: str) -> dict:
    """The API's `CounterEntry` from the form; empty documents and fields are left out, so the
    API names what is missing."""
    channel = CHANNELS[word][0]
    documents = {name: (form.get(f"doc_{name}") or "").strip()
                 for name in unit.required_fields(channel) if name not in REPORTER_FIELDS}
    visitor = {name: (form.get(name) or "").strip() for name, _, _ in VISITOR_INPUTS}
    visitor["kind"] = form.get("reporter_kind") or "other"
    return {"tenant": unit.tenant, "visitor": visitor,
            "purpose": (form.get("purpose") or "").strip(),
            "subject": (form.get("subject") or "").strip(),
            "description": (form.get("description") or "").strip(),
            "kind": "complaint" if form.get("kind") == "complaint" else "ticket",
            "documents": {k: v for k, v in documents.items() if v},
            "fields": {f.name: value for f in unit.fields
                       if (value := (form.get(f"f_{f.name}") or "").strip())}}


async def show(web: WebFrontend, request: Request, who, unit, status: int = 200,
               error: str = "", typed: dict | None = None, typed_for: str = "") -> Response:
    principal, token = who
    answer = await web.call("GET", "/api/v1/counter/visits", staff_token=token,
                            params={"tenant": unit.tenant, "after": cursor_of(request)})
    if not answer.ok:
        return refusal(request, answer, principal, back="/staf/antrean")
    return page(request, "counter.html", status=status, staff=principal, unit=unit,
                pager=pager(request, answer.body.get("next")),
                units=units_for(web, principal), forms=_forms(unit), book=answer.body,
                visitor_inputs=VISITOR_INPUTS, reporter_kinds=REPORTER_KINDS, error=error,
                typed=typed or {}, typed_for=typed_for)


class CounterPages(Controller):
    path = "/staf/loket"
    guards = [staff_session]

    @get("/")
    async def counter_page(self, request: Request, who: tuple[Principal, str],
                           web: WebFrontend) -> Response:
        unit = unit_for(web, request, who[0])
        if unit is None:
            return unknown_unit(request, who[0], back="/staf/loket")
        return await show(web, request, who, unit)

    @post("/{word:str}")
    async def record(self, request: Request, word: str, who: tuple[Principal, str],
                     web: WebFrontend) -> Response:
        form = await request.form()
        unit = web.unit(form.get("tenant") or "")
        if word not in CHANNELS or unit is None:
            return page(request, "error.html", status=404, staff=who[0],
                        heading="Tidak ditemukan", message="Loket atau unit tidak dikenal.",
                        back="/staf/loket")
        body = entry_of(form, unit, word)
        answer = await web.call("POST", CHANNELS[word][1], staff_token=who[1], json=body)
        if answer.status in (401, 403):
            return refusal(request, answer, who[0], back="/staf/loket")
        if not answer.ok:  # the form again, as typed, with the API's reason
            typed = {**body["visitor"], **{f"doc_{k}": v for k, v in body["documents"].items()},
                     **{f"f_{k}": v for k, v in body["fields"].items()},
                     **{k: body[k] for k in ("purpose", "subject", "description", "kind")},
                     "reporter_kind": body["visitor"]["kind"]}
            return await show(web, request, who, unit, status=answer.status,
                              error=f"Belum tercatat: {answer.detail}", typed=typed,
                              typed_for=word)
        receipt = answer.body
        return page(request, "counter_slip.html", staff=who[0], unit=unit, receipt=receipt,
                    visitor=body["visitor"], subject=body["subject"], title=CHANNELS[word][2],
                    link=status_link(web, receipt["number"], receipt["access_token"]),
                    now=web.now())


CONTROLLERS = [CounterPages]

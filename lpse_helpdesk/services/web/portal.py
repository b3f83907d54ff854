"""The public portal (LPSE Support-like, Bahasa Indonesia): the units, a new ticket with the
unit's required data and attachments, the ticket's status by number and access token, the
reporter's reply, confirmation and satisfaction survey, and the unit's FAQ (`/faq/<unit>`, the
address the FAQ feed and older links use).

The access token is a password to the ticket: it reaches the portal once (the mailed link's
`?token=`, the lookup form, the new ticket) and is swapped for a cookie of that ticket
(`session.ticket_cookie`) with a redirect to an address without it. Every later page, form
and download reads it from the cookie, so no page address or link carries it.

Plain forms and redirects (post/redirect/get): every step works without JavaScript.
"""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.response import Redirect

from ...schemas.survey import SKM_ELEMENTS, profile_from_form
from ..intake.decisions import field_problems
from ..intake.requirements import LABELS, REPORTER_FIELDS
from .answers import passthrough, refusal
from .application import WebFrontend
from .render import page
from .session import flash_redirect, forget_ticket, ticket_cookie, ticket_token

REPORTER_INPUTS = [("name", "Nama lengkap", "text"), ("email", "Alamat email", "email"),
                   ("phone", "Nomor telepon/WA", "tel"),
                   ("organization", "Instansi/perusahaan", "text")]
MAX_FILES = 10
WRONG = "Nomor tiket atau token akses salah."
NO_COOKIE = ("Peramban ini belum menyimpan akses ke tiket ini. Buka lagi tautan dari email "
             "Anda, atau masukkan nomor tiket dan token akses.")


def form_field(api_field: str | None) -> str:
    """The API names `reporter.email` or `documents.company_npwp`; the form, `email`/`doc_…`."""
    if not api_field:
        return ""
    head, _, rest = api_field.partition(".")
    if head == "reporter":
        return rest
    if head == "documents":
        return f"doc_{rest}"
    if head == "fields":
        return f"f_{rest}"
    return "files" if head == "attachments" else head


def _explain(answer) -> str:
    """A refusal as the reporter reads it: an unscored SKM element by its title."""
    key = (answer.field or "").removeprefix("scores.")
    titles = dict(SKM_ELEMENTS)
    if answer.status == 400 and key in titles:
        return f"Unsur “{titles[key]}” belum dinilai: pilih 1 sampai 4."
    return answer.detail


def _feedback_since_close(timeline: list[dict]) -> dict | None:
    """The reporter's confirmation of the latest close, if they gave one (the form is then
    replaced by what they said; a reopen and a new close ask again)."""
    answered = None
    for entry in timeline:
        if entry["type"] == "ticket.closed":
            answered = None
        elif entry["type"] == "ticket.reporter_feedback":
            answered = entry["event"]
    return answered


def new_ticket_page(request: Request, unit, values: dict, errors: dict, status: int = 200,
                    error: str = "") -> Response:
    required = set(unit.required_fields("web"))
    documents = [(name, LABELS.get(name, name)) for name in unit.required_fields("web")
                 if name not in REPORTER_FIELDS]
    return page(request, "new_ticket.html", status=status, unit=unit, values=values,
                errors=errors, error=error, required_fields=required | {"name"},
                reporter_fields=REPORTER_INPUTS, document_fields=documents)


async def status_page(web: WebFrontend, request: Request, number: str, token: str,
                      status: int = 200, error: str = "") -> Response:
    answer = await web.call("GET", f"/api/v1/tickets/{number}", params={"token": token})
    if not answer.ok:
        return page(request, "status_lookup.html", status=answer.status, number=number,
                    error=answer.detail if answer.status != 404 else WRONG)
    ticket = answer.body
    return page(request, "status.html", status=status, t=ticket,
                unit=web.unit(ticket["tenant"]), skm_elements=SKM_ELEMENTS, error=error,
                answered=_feedback_since_close(ticket["timeline"]))


async def exchange(web: WebFrontend, request: Request, number: str, token: str) -> Response:
    """A token handed over (mailed link, lookup form): checked by the API, kept in the
    ticket's cookie, and the browser sent on to an address without it (a mailed
    `#survei` survives the redirect)."""
    answer = await web.call("GET", f"/api/v1/tickets/{number}", params={"token": token})
    if not answer.ok:
        return page(request, "status_lookup.html", status=answer.status, number=number,
                    error=answer.detail if answer.status != 404 else WRONG)
    number = answer.body["number"]
    response = Redirect("/portal/status", status_code=303, query_params={"nomor": number})
    response.set_cookie(ticket_cookie(web.signer, number, token, web.secure_cookies))
    return response


async def follow_up(web: WebFrontend, request: Request, number: str, path: str, body_of,
                    done: str) -> Response:
    form = await request.form()
    token = ticket_token(request, web.signer, number)
    if not token:
        return page(request, "status_lookup.html", status=403, number=number,
                    error=NO_COOKIE)
    answer = await web.call("POST", f"/api/v1/tickets/{number}/{path}",
                            params={"token": token}, json=body_of(form))
    if not answer.ok:
        if answer.status == 404:
            return refusal(request, answer, back="/portal/status")
        return await status_page(web, request, number, token, status=answer.status,
                                 error=_explain(answer))
    await web.until_shown(number, answer.body["event_id"], token=token)
    return flash_redirect(request, "/portal/status", done, {"nomor": number})


class PortalPages(Controller):
    @get("/")
    async def home(self, request: Request, web: WebFrontend) -> Response:
        return page(request, "home.html", units=web.units())

    @get("/portal/{tenant:str}/tiket-baru")
    async def new_ticket_form(self, request: Request, web: WebFrontend,
                              tenant: str) -> Response:
        unit = web.unit(tenant)
        if unit is None:
            return page(request, "error.html", status=404, heading="Unit tidak dikenal",
                        message=f"Tidak ada unit LPSE `{tenant}` di helpdesk ini.")
        return new_ticket_page(request, unit, {}, {})

    @post("/portal/{tenant:str}/tiket-baru", request_max_body_size=60_000_000)
    async def submit(self, request: Request, web: WebFrontend, tenant: str) -> Response:
        unit = web.unit(tenant)
        if unit is None:
            return page(request, "error.html", status=404, heading="Unit tidak dikenal",
                        message=f"Tidak ada unit LPSE `{tenant}` di helpdesk ini.")
        form = await request.form()
        values = {k: v for k, v in form.items() if isinstance(v, str) and k != "_csrf_token"}
        files = [f for f in (form.getall("files") if "files" in form else [])
                 if isinstance(f, UploadFile) and f.filename]
        if len(files) > MAX_FILES:
            return new_ticket_page(request, unit, values, {"files": f"Maksimal {MAX_FILES} berkas."},
                                   status=400)
        # The unit's own fields, checked here too so each input gets its own message (and no
        # file is uploaded for a report that is refused); the API checks them again.
        fields = {k[2:]: v.strip() for k, v in values.items() if k.startswith("f_") and v.strip()}
        if problems := field_problems(unit, "web", fields):
            return new_ticket_page(request, unit, values, {form_field(path): message for path,
                                   message in problems}, status=400, error="Laporan belum "
                                   "terkirim: periksa kolom tambahan yang ditandai.")
        ids = []
        for upload in files:
            answer = await web.call(
                "POST", "/api/v1/attachments", content=await upload.read(),
                params={"tenant": tenant, "filename": upload.filename[:200]},
                headers={"Content-Type": upload.content_type or "application/octet-stream"})
            if not answer.ok:
                return new_ticket_page(request, unit, values, {
                    "files": f"{upload.filename}: {answer.detail}"}, status=answer.status)
            ids.append(answer.body["id"])
        body = {
            "tenant": tenant, "channel": "web", "kind": values.get("kind", "ticket"),
            "reporter": {"name": values.get("name", "").strip(),
                         "email": values.get("email", "").strip(),
                         "phone": values.get("phone", "").strip(),
                         "organization": values.get("organization", "").strip(),
                         "kind": values.get("reporter_kind", "other")},
            "subject": values.get("subject", "").strip(),
            "description": values.get("description", "").strip(),
            "documents": {k[4:]: v.strip() for k, v in values.items()
                          if k.startswith("doc_") and v.strip()},
            "attachments": ids, "fields": fields,
        }
        answer = await web.call("POST", "/api/v1/tickets", json=body)
        if answer.status == 201:
            created = answer.body
            response = Redirect("/portal/tiket-diterima", status_code=303,
                                query_params={"nomor": created["number"]})
            response.set_cookie(ticket_cookie(web.signer, created["number"],
                                              created["access_token"], web.secure_cookies))
            return response
        missing = answer.body.get("missing") if isinstance(answer.body, dict) else None
        fields = [form_field(f) for f in (missing or [answer.field])]
        errors = {f: answer.detail for f in fields if f}
        return new_ticket_page(request, unit, values, errors, status=answer.status,
                               error=f"Laporan belum terkirim: {answer.detail}")

    @get("/portal/tiket-diterima")
    async def created(self, request: Request, web: WebFrontend, nomor: str) -> Response:
        # The token is shown once more in the page (to note down), never in its address.
        return page(request, "created.html", number=nomor,
                    token=ticket_token(request, web.signer, nomor))

    @get("/portal/status")
    async def status(self, request: Request, web: WebFrontend, nomor: str = "",
                     token: str = "") -> Response:
        number = nomor.strip()
        if number and token.strip():
            return await exchange(web, request, number, token.strip())
        held = ticket_token(request, web.signer, number) if number else ""
        if not held:
            return page(request, "status_lookup.html", number=number,
                        error=NO_COOKIE if number else "")
        return await status_page(web, request, number, held)

    @post("/portal/status")
    async def look_up(self, request: Request, web: WebFrontend) -> Response:
        """The lookup form posts, so a typed token is never in an address either."""
        form = await request.form()
        number, token = form.get("nomor", "").strip(), form.get("token", "").strip()
        if not number or not token:
            return page(request, "status_lookup.html", status=400, number=number,
                        error="Isi nomor tiket dan token akses.")
        return await exchange(web, request, number, token)

    @post("/portal/tiket/{number:str}/lupakan")
    async def forget(self, request: Request, number: str) -> Response:
        """For a shared computer (warnet, office): this browser stops holding the ticket."""
        done = flash_redirect(request, "/portal/status",
                              f"Akses ke tiket {number[:40]} dihapus dari peramban ini.")
        return forget_ticket(done, number)

    @post("/portal/tiket/{number:str}/konfirmasi")
    async def confirm(self, request: Request, web: WebFrontend, number: str) -> Response:
        return await follow_up(
            web, request, number, "feedback",
            lambda f: {"solved": f.get("solved") == "1", "message": f.get("message", "").strip()},
            "Terima kasih atas konfirmasi Anda.")

    @post("/portal/tiket/{number:str}/survei")
    async def survey(self, request: Request, web: WebFrontend, number: str) -> Response:
        def body(form) -> dict:
            scores = {}
            for key, _title in SKM_ELEMENTS:
                raw = form.get(key, "")
                scores[key] = int(raw) if raw.isdigit() else 0  # 0: refused below, naming it
            return {"scores": scores, "comment": form.get("comment", "").strip(),
                    "profile": profile_from_form(form)}
        return await follow_up(web, request, number, "survey", body,
                               "Terima kasih, survei kepuasan Anda tersimpan.")

    @get("/portal/tiket/{number:str}/lampiran/{attachment_id:str}")
    async def attachment(self, request: Request, web: WebFrontend, number: str,
                         attachment_id: str) -> Response:
        token = ticket_token(request, web.signer, number)
        if not token:
            return page(request, "status_lookup.html", status=403, number=number,
                        error=NO_COOKIE)
        return await passthrough(web, request, f"/api/v1/tickets/{number}/attachments/{attachment_id}",
                                 params={"token": token})

    @get("/faq/{tenant:str}")
    async def faq(self, request: Request, web: WebFrontend, tenant: str,
                  q: str = "") -> Response:
        unit = web.unit(tenant)
        answer = await web.call("GET", "/api/v1/faq", params={"tenant": tenant, "q": q})
        if unit is None or not answer.ok:
            return refusal(request, answer)
        return page(request, "faq.html", unit=unit, entries=answer.body, query=q)


CONTROLLERS = [PortalPages]

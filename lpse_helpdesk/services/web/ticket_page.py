"""The staff's ticket page, `/staf/tiket/<number>`: the ticket with its timeline, the actions
the staff member may take (each a form posting to the API's action), and its attachments."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post

from ...platform.auth import Principal
from . import labels
from .answers import passthrough, refusal
from .application import WebFrontend
from .render import page
from .session import flash_redirect, staff_session, to_login


ASSIGNING = {"claim": "Ambil tiket", "assign": "Tugaskan", "unassign": "Lepas penugasan"}
# The API's merge and link, each with the field naming the other ticket.
RELATING = {"merge": ("into", "Gabungkan"), "link": ("to", "Tautkan")}
DELIVERIES = ("ticket.notification_sent", "ticket.notification_failed")


def related(timeline: list[dict]) -> dict:
    """The tickets this one is tied to, from its own timeline: merged into, merged here, linked."""
    pick = lambda tag, key: list(dict.fromkeys(  # noqa: E731
        e["event"][key] for e in timeline if e["type"] == tag))
    return {"into": pick("ticket.merged", "into"), "duplicates": pick("ticket.merge_received",
            "duplicate"), "links": pick("ticket.linked", "to")}


def _action_body(action: str, form) -> dict:
    text = lambda name: (form.get(name) or "").strip()  # noqa: E731
    if action == "classify":
        return {"category": text("category"), "reason": text("reason")}
    if action == "escalate":  # the LPSE Support ticket: its form fields show only towards LKPP
        return {"reason": text("reason"), "external_ref": text("external_ref"),
                "external_url": text("external_url")}
    if action == "reopen":
        return {"reason": text("reason")}
    if action == "close":
        return {"resolution": text("resolution"), "publish_faq": form.get("publish_faq") == "1"}
    return {"message": text("message")}


async def ticket_page(web: WebFrontend, request: Request, who, number: str, status: int = 200,
                      error: str = "", opened: str = "") -> Response:
    principal, token = who
    answer = await web.call("GET", f"/api/v1/tickets/{number}", staff_token=token)
    if not answer.ok:
        return refusal(request, answer, principal, back="/staf/antrean")
    ticket = answer.body
    unit = web.unit(ticket["tenant"])
    canned = await web.canned_replies(ticket["tenant"], ticket["subject"])
    chosen = request.query_params.get("faq", "")
    canned_text = next((e["answer"] for e in canned if e["id"] == chosen), "")
    # The unit's own canned replies, ranked by the desk for this ticket (canned.py); a link
    # with `?siap=<id>` fills the reply box with one, as `?faq=` does with a FAQ answer.
    mine = await web.call("GET", f"/api/v1/units/{ticket['tenant']}/canned-replies",
                          staff_token=token, params={"ticket": ticket["number"]})
    mine = mine.body if mine.ok else []
    picked = request.query_params.get("siap", "")
    canned_text = next((e["body"] for e in mine if e["id"] == picked), canned_text)
    attachments = [a for entry in ticket["timeline"] for a in entry["event"].get("attachments", [])]
    # The LPSE Support ticket the unit opened at LKPP (the latest), in the staff view only.
    outside = [entry["event"] for entry in ticket["timeline"]
               if entry["event"].get("external_ref") or entry["event"].get("external_url")]
    shown = [e for e in ticket["timeline"] if e["type"] not in DELIVERIES]
    return page(request, "ticket.html", status=status, staff=principal, t=ticket, unit=unit,
                shown=shown, deliveries=[e for e in ticket["timeline"] if e["type"] in DELIVERIES],
                related=related(ticket["timeline"]),
                allowed=ticket.get("allowed_actions", []), canned=canned, own_replies=mine[:8],
                canned_text=canned_text, attachments=attachments, error=error,
                lpse_support=outside[-1] if outside else None,
                opened=opened or ("reply" if canned_text else ""))


async def act(web: WebFrontend, request: Request, who: tuple[Principal, str], number: str,
              action: str, body: dict, done: str, opened: str = "") -> Response:
    """A staff action through the API, then the page again: refused, with the reason on the
    ticket page; done, once the ticket's page shows it, with a flash message."""
    answer = await web.call("POST", f"/api/v1/tickets/{number}/{action}", staff_token=who[1],
                            json=body)
    if answer.status == 401:
        return to_login(request, "Sesi Anda berakhir; silakan masuk lagi.")
    if not answer.ok:
        return await ticket_page(web, request, who, number, status=answer.status,
                                 error=answer.detail, opened=opened)
    if answer.body.get("event_id"):
        await web.until_shown(number, answer.body["event_id"], staff_token=who[1])
    return flash_redirect(request, f"/staf/tiket/{number}", f"{done}: berhasil.")


class TicketPages(Controller):
    path = "/staf/tiket/{number:str}"
    guards = [staff_session]

    @get("/")
    async def ticket(self, request: Request, number: str, who: tuple[Principal, str],
                     web: WebFrontend) -> Response:
        return await ticket_page(web, request, who, number)

    @post("/aksi/{action:str}")
    async def act(self, request: Request, number: str, action: str,
                  who: tuple[Principal, str], web: WebFrontend) -> Response:
        if action not in labels.ACTION:
            return page(request, "error.html", status=404, staff=who[0], heading="Tidak ditemukan",
                        message=f"Tindakan `{action}` tidak dikenal.", back=f"/staf/tiket/{number}")
        form = await request.form()
        return await act(web, request, who, number, action, _action_body(action, form),
                         labels.label(labels.ACTION, action), opened=action)

    @post("/penugasan")
    async def assign(self, request: Request, number: str, who: tuple[Principal, str],
                     web: WebFrontend) -> Response:
        """Claim, assign to a username, or unassign: the API's `claim`, `assign`, `unassign`."""
        form = await request.form()
        step = form.get("langkah", "")
        if step not in ASSIGNING:
            return page(request, "error.html", status=404, staff=who[0], heading="Tidak ditemukan",
                        message="Langkah penugasan tidak dikenal.", back=f"/staf/tiket/{number}")
        body = {"assignee": (form.get("assignee") or "").strip()} if step == "assign" else {}
        return await act(web, request, who, number, step, body, ASSIGNING[step])

    @post("/terkait")
    async def relate(self, request: Request, number: str, who: tuple[Principal, str],
                     web: WebFrontend) -> Response:
        """Merge this ticket into another, or link another to it: the API's `merge`, `link`."""
        form = await request.form()
        step = form.get("langkah", "")
        if step not in RELATING:
            return page(request, "error.html", status=404, staff=who[0], heading="Tidak ditemukan",
                        message="Langkah tidak dikenal.", back=f"/staf/tiket/{number}")
        field, done = RELATING[step]
        return await act(web, request, who, number, step,
                         {field: (form.get("nomor") or "").strip()}, done)

    @get("/lampiran/{attachment_id:str}")
    async def attachment(self, request: Request, number: str, attachment_id: str,
                         who: tuple[Principal, str], web: WebFrontend) -> Response:
        return await passthrough(web, request,
                                 f"/api/v1/tickets/{number}/attachments/{attachment_id}",
                                 staff=who)


CONTROLLERS = [TicketPages]

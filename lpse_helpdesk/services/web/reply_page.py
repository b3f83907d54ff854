"""The reporter's reply on the portal's ticket page, with files: each file goes through the
upload door as a new ticket's do (`POST /api/v1/attachments`: the unit's types and size, the
type read from the bytes, the hourly quota), then the reply names them. A refused file stops
the reply, with the reason beside the form and the message kept."""

from __future__ import annotations

from litestar import Controller, Request, Response, post
from litestar.datastructures import UploadFile

from .answers import refusal
from .application import WebFrontend
from .portal import NO_COOKIE, status_page
from .render import page
from .session import flash_redirect, ticket_token

DONE = "Balasan Anda terkirim ke helpdesk."
MAX_FILES = 10  # as on the new-ticket form, and as the API takes


class ReplyPages(Controller):
    @post("/portal/tiket/{number:str}/balas", request_max_body_size=60_000_000)
    async def reply(self, request: Request, web: WebFrontend, number: str) -> Response:
        form = await request.form()
        token = ticket_token(request, web.signer, number)
        if not token:
            return page(request, "status_lookup.html", status=403, number=number, error=NO_COOKIE)
        message = form.get("message", "")
        message = message.strip() if isinstance(message, str) else ""
        files = [f for f in (form.getall("files") if "files" in form else [])
                 if isinstance(f, UploadFile) and f.filename]
        ids: list[str] = []
        if files:
            if len(files) > MAX_FILES:
                return await status_page(web, request, number, token, status=400,
                                         error=f"Maksimal {MAX_FILES} berkas per balasan.")
            ticket = await web.call("GET", f"/api/v1/tickets/{number}", params={"token": token})
            if not ticket.ok:
                return refusal(request, ticket, back="/portal/status")
            for upload in files:
                answer = await web.call(
                    "POST", "/api/v1/attachments", content=await upload.read(),
                    params={"tenant": ticket.body["tenant"], "filename": upload.filename[:200]},
                    headers={"Content-Type": upload.content_type or "application/octet-stream"})
                if not answer.ok:
                    return await status_page(web, request, number, token, status=answer.status,
                                             error=f"{upload.filename}: {answer.detail}")
                ids.append(answer.body["id"])
        answer = await web.call("POST", f"/api/v1/tickets/{number}/replies",
                                params={"token": token},
                                json={"message": message, "attachments": ids})
        if not answer.ok:
            if answer.status == 404:
                return refusal(request, answer, back="/portal/status")
            return await status_page(web, request, number, token, status=answer.status,
                                     error=answer.detail)
        await web.until_shown(number, answer.body["event_id"], token=token)
        return flash_redirect(request, "/portal/status", DONE, {"nomor": number})


CONTROLLERS = [ReplyPages]

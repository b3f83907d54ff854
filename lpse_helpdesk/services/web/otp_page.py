"""A staff member's own second factor, `/staf/otp`: enrol an authenticator app and confirm it
with its first code, in the browser. Each step is a call to the desk's API with the staff
member's own token (`/api/v1/auth/totp/enroll` and `/confirm`), which decides everything."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post

from ...platform.auth import Principal
from .application import WebFrontend
from .render import page
from .session import flash_redirect, staff_session


class OtpPages(Controller):
    path = "/staf/otp"
    guards = [staff_session]

    @get("/")
    async def otp_page(self, request: Request, who: tuple[Principal, str]) -> Response:
        return page(request, "otp.html", staff=who[0], enrolment=None, error="")

    @post("/")
    async def enrol(self, request: Request, who: tuple[Principal, str],
                    web: WebFrontend) -> Response:
        answer = await web.call("POST", "/api/v1/auth/totp/enroll", staff_token=who[1])
        if not answer.ok:
            return page(request, "otp.html", status=answer.status, staff=who[0], enrolment=None,
                        error=answer.detail)
        return page(request, "otp.html", staff=who[0], enrolment=answer.body, error="")

    @post("/konfirmasi")
    async def confirm(self, request: Request, who: tuple[Principal, str],
                      web: WebFrontend) -> Response:
        form = await request.form()
        answer = await web.call("POST", "/api/v1/auth/totp/confirm", staff_token=who[1],
                                json={"otp": (form.get("otp") or "").strip()})
        if not answer.ok:
            return page(request, "otp.html", status=answer.status, staff=who[0], enrolment=None,
                        error=f"{answer.detail} Daftarkan lagi untuk rahasia baru.")
        return flash_redirect(request, "/staf/antrean",
                              "OTP aktif: login berikutnya memerlukan kode dari aplikasi Anda.")


CONTROLLERS = [OtpPages]

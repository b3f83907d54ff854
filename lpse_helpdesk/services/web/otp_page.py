"""A staff member's own second factor, `/staf/otp`: enrol an authenticator app and confirm it
with its first code, in the browser. Each step is a call to the desk's API with the staff
member's own token (`/api/v1/auth/totp/enroll` and `/confirm`), which decides everything."""

from __future__ import annotations

from litestar import Request, Response, get, post

from .answers import unavailable
from .application import ApiUnavailable, WebFrontend
from .render import page
from .session import current_staff, flash_redirect, to_login


def routes(web: WebFrontend) -> list:
    @get("/staf/otp", include_in_schema=False)
    async def otp_page(request: Request) -> Response:
        who = current_staff(request, web.signer)
        if who is None:
            return to_login(request)
        return page(request, "otp.html", staff=who[0], enrolment=None, error="")

    @post("/staf/otp", include_in_schema=False)
    async def enrol(request: Request) -> Response:
        who = current_staff(request, web.signer)
        if who is None:
            return to_login(request)
        try:
            answer = await web.call("POST", "/api/v1/auth/totp/enroll", staff_token=who[1])
        except ApiUnavailable:
            return unavailable(request, who[0])
        if not answer.ok:
            return page(request, "otp.html", status=answer.status, staff=who[0], enrolment=None,
                        error=answer.detail)
        return page(request, "otp.html", staff=who[0], enrolment=answer.body, error="")

    @post("/staf/otp/konfirmasi", include_in_schema=False)
    async def confirm(request: Request) -> Response:
        who = current_staff(request, web.signer)
        if who is None:
            return to_login(request)
        form = await request.form()
        try:
            answer = await web.call("POST", "/api/v1/auth/totp/confirm", staff_token=who[1],
                                    json={"otp": (form.get("otp") or "").strip()})
        except ApiUnavailable:
            return unavailable(request, who[0])
        if not answer.ok:
            return page(request, "otp.html", status=answer.status, staff=who[0], enrolment=None,
                        error=f"{answer.detail} Daftarkan lagi untuk rahasia baru.")
        return flash_redirect(request, "/staf/antrean",
                              "OTP aktif: login berikutnya memerlukan kode dari aplikasi Anda.")

    return [otp_page, enrol, confirm]

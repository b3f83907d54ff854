"""How a page answers when the API refuses: the same refusal, as a page a person can act on.

401 sends staff back to the login (the session expired); 403, 404 and 503 are pages that say
why in Indonesian; anything else is shown on the page the user came from.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from litestar import Request, Response

from .application import ApiAnswer, ApiUnavailable, WebFrontend
from .render import page
from .session import current_staff, to_login

TITLES = {403: "Akses ditolak", 404: "Tidak ditemukan", 409: "Tidak bisa dilakukan sekarang",
          429: "Terlalu banyak percobaan", 503: "Layanan sementara tidak tersedia"}


def refusal(request: Request, answer: ApiAnswer, staff=None, back: str = "/") -> Response:
    if answer.status == 401 and staff is not None:
        return to_login(request, "Sesi Anda berakhir; silakan masuk lagi.")
    status = answer.status if answer.status in TITLES or answer.status >= 400 else 502
    return page(request, "error.html", status=status, staff=staff,
                heading=TITLES.get(status, f"Permintaan ditolak ({status})"),
                message=answer.detail, back=back)


def unavailable_page(request: Request, _exc: ApiUnavailable) -> Response:
    """Any page whose API call found no answer (e.g. a restart): one page saying so, with the
    staff menu on staff pages."""
    who = current_staff(request, request.app.state.signer) if request.url.path.startswith(
        "/staf") else None
    return unavailable(request, who[0] if who else None)


def unknown_unit(request: Request, staff, back: str = "/staf/antrean") -> Response:
    return page(request, "error.html", status=404, staff=staff, heading="Unit tidak dikenal",
                message="Unit yang diminta tidak ada.", back=back)


def unavailable(request: Request, staff=None) -> Response:
    return page(request, "error.html", status=503, staff=staff, heading=TITLES[503],
                message="Layanan helpdesk sedang dimulai ulang atau tidak terjangkau. Data Anda "
                        "aman; coba lagi sebentar lagi.", back=request.url.path)


async def passthrough(web: WebFrontend, request: Request, path: str, staff=None,
                      params: dict | None = None) -> Response:
    """A file from the API passed through to the browser (attachments, CSV), or the page that
    says why not. `staff` is (principal, token) or None for a reporter (token in `params`)."""
    answer = await web.call("GET", path, staff_token=staff[1] if staff else None,
                            params=params, raw=True)
    if not answer.ok:
        return refusal(request, answer, staff[0] if staff else None)
    headers = {k: v for k, v in answer.headers.items()
               if k.lower() in ("content-disposition", "x-content-sha256")}
    # Litestar names the charset of a text/* type itself: the API's would be named twice.
    kind = (answer.headers.get("content-type") or "").removesuffix("; charset=utf-8")
    return Response(answer.body, media_type=kind or None,
                    headers={**headers, "Cache-Control": "no-store",
                             "X-Content-Type-Options": "nosniff"})


def forbidden_page(request: Request, exc: Exception) -> Response:
    """Litestar's CSRF check refuses with 403: tell the person what to do, on a page."""
    detail = str(getattr(exc, "detail", exc))
    message = ("Formulir ini kedaluwarsa atau tidak dikirim dari halaman helpdesk (pemeriksaan "
               "CSRF). Muat ulang halaman, lalu kirim lagi." if "CSRF" in detail else detail)
    # Back to the page the form came from, as a path: never an address built from the
    # request's Host header, and never another site's.
    referer = urlsplit(request.headers.get("referer", ""))
    ours = referer.netloc == request.headers.get("host") and referer.path.startswith("/")
    back = referer.path + (f"?{referer.query}" if referer.query else "") if ours else "/"
    return page(request, "error.html", status=403, heading=TITLES[403], message=message,
                back=back if not back.startswith("//") else "/")

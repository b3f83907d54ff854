"""The Litestar app of a process: the services' routes plus health, readiness and metrics.

Validation errors are answered in Indonesian (English after the slash), naming the bad field.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

from litestar import Litestar, MediaType, Request, Response, get
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi import OpenAPIConfig
from litestar.status_codes import HTTP_400_BAD_REQUEST, HTTP_500_INTERNAL_SERVER_ERROR
from prometheus_client import generate_latest

if TYPE_CHECKING:
    from .runtime import Runtime

log = logging.getLogger("lpse_helpdesk.http")
_MSGSPEC_PATH = re.compile(r" - at `\$\.?(?P<path>[^`]*)`")


def field_of(message: str) -> str | None:
    """msgspec says `... - at `$.reporter.email``; the field is `reporter.email`. For a missing
    or unknown key msgspec names the object and the key separately: join them."""
    match = _MSGSPEC_PATH.search(message)
    path = match.group("path") if match else ""
    key = re.search(r"(?:missing required|unknown) field `(\w+)`", message)
    parts = [part for part in (path, key.group(1) if key else "") if part]
    return ".".join(parts) or None


def translate(message: str) -> str:
    """msgspec's validation sentences, in Indonesian first."""
    base = _MSGSPEC_PATH.sub("", message)
    rules = [
        (r"Object missing required field `(\w+)`", r"kolom wajib `\1` tidak ada"),
        (r"Expected `(\w+)`, got `(\w+)`", r"harus bertipe \1, bukan \2"),
        (r"Expected `str` of length <= (\d+)", r"teks terlalu panjang (maksimal \1 karakter)"),
        (r"Expected `str` of length >= (\d+)", r"teks terlalu pendek (minimal \1 karakter)"),
        (r"Invalid enum value '([^']*)'", r"nilai '\1' tidak dikenal"),
        (r"Expected `str` matching regex '([^']*)'", r"format tidak sah (pola \1)"),
        (r"Object contains unknown field `(\w+)`", r"kolom `\1` tidak dikenal"),
        (r"JSON is malformed.*", r"badan permintaan bukan JSON yang sah"),
        (r"^Malformed body.*", r"badan permintaan bukan JSON yang sah"),
        (r"Input data was truncated", r"JSON terpotong"),
    ]
    for pattern, replacement in rules:
        if re.search(pattern, base):
            return f"{re.sub(pattern, replacement, base)} / {base}"
    return base


def _validation_handler(request: Request, exc: ValidationException) -> Response:
    extra = exc.extra if isinstance(exc.extra, list) else []
    raw = str(extra[0].get("message", exc.detail)) if extra else str(exc.detail)
    key = extra[0].get("key") if extra else None
    field = field_of(raw) or (key if key not in (None, "", "data") else None)
    message = translate(raw)
    detail = f"Data tidak valid pada kolom `{field}`: {message}" if field else f"Data tidak valid: {message}"
    return Response(
        {"status_code": HTTP_400_BAD_REQUEST, "detail": detail, "field": field},
        status_code=HTTP_400_BAD_REQUEST,
    )


def _http_handler(request: Request, exc: HTTPException) -> Response:
    detail = translate(exc.detail) if exc.status_code == HTTP_400_BAD_REQUEST else exc.detail
    if exc.status_code == 413:
        detail = f"Badan permintaan terlalu besar / request body too large ({exc.detail})"
    body: dict[str, Any] = {"status_code": exc.status_code, "detail": detail}
    if isinstance(exc.extra, dict):
        body.update(exc.extra)
    return Response(body, status_code=exc.status_code, headers=exc.headers)


def _crash_handler(request: Request, exc: Exception) -> Response:
    log.error("kesalahan internal pada %s", request.url.path, exc_info=exc)
    return Response(
        {"status_code": 500, "detail": "Terjadi kesalahan internal; tidak ada data yang hilang."},
        status_code=HTTP_500_INTERNAL_SERVER_ERROR,
    )


def build_http_app(runtime: Runtime, routes: list[Any]) -> Litestar:
    @get("/health", media_type=MediaType.JSON, include_in_schema=False)
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @get("/ready", media_type=MediaType.JSON, include_in_schema=False)
    async def ready() -> Response:
        state = runtime.readiness()
        return Response(state, status_code=200 if state["ready"] else 503)

    @get("/metrics", media_type="text/plain; version=0.0.4", include_in_schema=False)
    async def metrics() -> bytes:
        return generate_latest(runtime.metrics.registry)

    return Litestar(
        route_handlers=[health, ready, metrics, *routes],
        request_max_body_size=runtime.settings.max_body_bytes,
        exception_handlers={
            ValidationException: _validation_handler,
            HTTPException: _http_handler,
            HTTP_500_INTERNAL_SERVER_ERROR: _crash_handler,
        },
        openapi_config=OpenAPIConfig(
            title="LPSE Helpdesk API", version="1", path="/schema",
            description="Helpdesk (Layanan dan Dukungan) LPSE: tiket, eskalasi, FAQ.",
        ),
        debug=False,
        logging_config=None,  # keep our one-JSON-line logging (observability.setup_logging)
    )

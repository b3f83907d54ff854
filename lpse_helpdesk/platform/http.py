"""The Litestar app of a process: the services' routes plus health, readiness and metrics.

Validation errors are answered in Indonesian (English after the slash), naming the bad field.
Every error has one body shape (`ErrorBody`), and the OpenAPI document names, per operation,
the error statuses it can answer (`errors()`, `document_errors()`): `tests/e2e/test_api_fuzz.py`
holds the server to that document.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import re
from typing import TYPE_CHECKING, Any

import msgspec
from litestar.datastructures import State
from litestar import Litestar, MediaType, Request, Response, get
from litestar._openapi.schema_generation.plugins.struct import StructSchemaPlugin
from litestar.exceptions import HTTPException, TooManyRequestsException, ValidationException
from litestar.openapi import ResponseSpec
from litestar.status_codes import HTTP_400_BAD_REQUEST, HTTP_500_INTERNAL_SERVER_ERROR

from .. import refusals
from .apidoc import document_access, openapi_config
from . import jsondepth, ratelimit
from .observability import exposition
from .store import EventTooLarge

if TYPE_CHECKING:
    from .runtime import Runtime

log = logging.getLogger("lpse_helpdesk.http")
_MSGSPEC_PATH = re.compile(r" - at `\$\.?(?P<path>[^`]*)`")


class ErrorBody(msgspec.Struct, frozen=True, kw_only=True):
    """Every error answer: the status again, the reason (Indonesian first), and the field,
    header or query parameter at fault (null when there is none, e.g. a body that is not JSON).
    The handlers below send exactly these keys; `missing` only when a unit's standard asks for
    documents the request lacks."""

    status_code: int
    detail: str
    field: str | None
    missing: list[str] = []


_REASONS = {
    400: "Data tidak valid; `field` menyebut kolomnya / invalid input; `field` names it",
    401: "Perlu token akses pelapor atau login staf / authentication required",
    403: "Peran atau unit tidak boleh melakukan ini / forbidden",
    404: "Tidak ditemukan / not found",
    409: "Keadaan tiket menolak aksi ini, atau kalah balapan / conflict",
    413: "Badan permintaan terlalu besar / request body too large",
    415: "Tipe berkas tidak diterima unit ini / unsupported media type",
    422: "Idempotency-Key sama dengan badan berbeda / idempotency key reused",
    429: "Terlalu banyak permintaan atau akun terkunci sementara / too many requests or a "
         "locked account",
    503: "NATS atau penyimpanan lampiran sementara tidak tersedia / unavailable",
    507: "Penyimpanan lampiran penuh / attachment storage full",
}


def errors(*codes: int) -> dict[int, ResponseSpec]:
    """`responses=` for a route decorator: the error statuses it answers, with `ErrorBody`."""
    return {code: ResponseSpec(ErrorBody, generate_examples=False, description=_REASONS[code])
            for code in codes}


# Error statuses of the services' routes, by "METHOD path". Route decorators may declare their
# own with `responses=errors(...)`; both are merged. Every POST also declares 413 (the body
# limit), and every route with parameters or a body 400 (Litestar's own 400 schema is not the
# body `_validation_handler` sends).
ROUTE_ERRORS: dict[str, tuple[int, ...]] = {
    "POST /api/v1/tickets": (422, 429),
    "POST /api/v1/tickets/{number}/replies": (401, 404, 409),
    "POST /api/v1/tickets/{number}/feedback": (401, 404, 409),
    "POST /api/v1/tickets/{number}/survey": (401, 404, 409),
    "POST /api/v1/counter/visits": (401, 403),
    "POST /api/v1/counter/calls": (401, 403),
    "POST /api/v1/attachments": (415, 429, 503, 507),
    "GET /api/v1/mail/held": (401, 403),
    "POST /api/v1/mail/held/{held_id}/accept": (401, 403, 404, 409),
    "POST /api/v1/mail/held/{held_id}/new-ticket": (401, 403, 404, 409),
    "POST /api/v1/auth/token": (401, 429),
    "GET /api/v1/tickets/{number}": (401, 403, 404),
    "GET /api/v1/tickets/{number}/attachments/{attachment_id}": (401, 403, 404, 503),
    "GET /api/v1/queues": (401, 403),
    "GET /api/v1/units/{tenant}/figures": (401, 403, 404),
    "GET /api/v1/units/{tenant}/report.csv": (401, 403, 404),
    "GET /api/v1/users": (401, 403),
    "POST /api/v1/users": (401, 403, 409),
    "POST /api/v1/users/{username}/disable": (401, 403, 404, 409),
    "POST /api/v1/users/{username}/enable": (401, 403, 404),
    "POST /api/v1/users/{username}/unlock": (401, 403, 404),
    "POST /api/v1/users/{username}/reset-password": (401, 403, 404, 409),
    "DELETE /api/v1/users/{username}": (401, 403, 404, 409),
    "POST /api/v1/users/{username}/reset-totp": (401, 403, 404, 409),
    "POST /api/v1/auth/totp/enroll": (400, 401, 404, 409),
    "POST /api/v1/auth/totp/confirm": (401, 404, 409),
    "GET /api/v1/units/{tenant}/security": (401, 403, 404),
    "POST /api/v1/units/{tenant}/security": (401, 403, 404, 409),
    "GET /api/v1/faq": (404,),
    "GET /api/v1/faq/feed": (404,),
    "POST /api/v1/faq/{entry_id}/helpful": (404, 429),
    "GET /api/v1/faq/drafts": (401, 403),
    "POST /api/v1/faq/drafts/{entry_id}/{action}": (401, 403, 404, 409),
    "POST /api/v1/faq/{entry_id}/{action}": (401, 403, 404, 409),
}
_PATH_TYPE = re.compile(r"\{(\w+):\w+\}")


def document_errors(handlers: list[Any]) -> None:
    """Add the error statuses each handler answers to its OpenAPI responses."""
    for handler in handlers:
        if not hasattr(handler, "http_methods"):
            continue  # a Router (the web pages, static files): not in the API's schema
        codes: set[int] = {400} if _takes_input(handler) else set()
        for method in handler.http_methods:
            if method in ("POST", "PUT", "PATCH"):
                codes.add(413)
            for path in handler.paths:
                plain = _PATH_TYPE.sub(r"{\1}", path)  # /tickets/{number:str} -> {number}
                codes.update(ROUTE_ERRORS.get(f"{method} {plain}", ()))
        if codes:
            handler.responses = {**errors(*sorted(codes)), **(handler.responses or {})}


def _takes_input(handler: Any) -> bool:
    parameters = inspect.signature(handler.fn).parameters
    return any("{" in path for path in handler.paths) or bool(parameters.keys() - {"request"})


class ClosedStructSchemaPlugin(StructSchemaPlugin):
    """A body struct with `forbid_unknown_fields` refuses unknown keys (400); its OpenAPI schema
    says so with `additionalProperties: false`, or clients and fuzzers believe they may add
    keys."""

    def to_openapi_schema(self, field_definition, schema_creator):
        schema = super().to_openapi_schema(field_definition, schema_creator)
        if msgspec.inspect.type_info(field_definition.type_).forbid_unknown_fields:
            schema.additional_properties = False
        return schema


def field_of(message: str) -> str | None:
    """msgspec says `... - at `$.reporter.email``; the field is `reporter.email`. For a missing
    or unknown key msgspec names the object and the key separately: join them. Litestar names
    a missing query parameter or header in quotes."""
    match = _MSGSPEC_PATH.search(message)
    path = match.group("path") if match else ""
    key = re.search(r"(?:missing required|unknown) field `([^`]+)`", message) or re.search(
        r"Missing required \w+ parameter '([^']+)'", message)
    parts = [part for part in (path, key.group(1) if key else "") if part]
    return ".".join(parts) or None


def translate(message: str) -> str:
    """msgspec's validation sentences, in Indonesian first."""
    base = _MSGSPEC_PATH.sub("", message)
    # The text patterns of `schemas.events` (ONE_LINE, LINES, EMAIL) said in words.
    if "matching regex" in base and "[^@]+@" in base:
        return "alamat e-mail tidak sah / not a valid e-mail address"
    if "matching regex" in base and "x00-" in base:
        return ("berisi karakter kendali (mis. NUL, atau baris baru pada teks satu baris) / "
                "contains control characters (e.g. NUL, or a line break in one-line text)")
    rules = [
        (r"Object missing required field `(\w+)`", r"kolom wajib `\1` tidak ada"),
        (r"Missing required (\w+) parameter '([^']+)'.*", r"parameter \1 `\2` wajib ada"),
        (r"Expected `(\w+)`, got `(\w+)`", r"harus bertipe \1, bukan \2"),
        (r"Expected `str` of length <= (\d+)", r"teks terlalu panjang (maksimal \1 karakter)"),
        (r"Expected `str` of length >= (\d+)", r"teks terlalu pendek (minimal \1 karakter)"),
        (r"Expected `(?:int|float)` <= ([-\d.]+)", r"nilai maksimal \1"),
        (r"Expected `(?:int|float)` >= ([-\d.]+)", r"nilai minimal \1"),
        (r"Invalid enum value '([^']*)'", r"nilai '\1' tidak dikenal"),
        (r"Expected `str` matching regex '([^']*)'", r"format tidak sah (pola \1)"),
        (r"Object contains unknown field `([^`]*)`", r"kolom `\1` tidak dikenal"),
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
    if isinstance(exc, TooManyRequestsException) and "RateLimit-Reset" in (exc.headers or {}):
        wait = exc.headers["RateLimit-Reset"]  # from the rate limits (ratelimit.py)
        detail = (f"Terlalu banyak permintaan dari alamat Anda; coba lagi dalam {wait} detik / "
                  "too many requests from your address")
    body: dict[str, Any] = {"status_code": exc.status_code, "detail": detail, "field": None}
    if isinstance(exc.extra, dict):
        body.update(exc.extra)
    return Response(body, status_code=exc.status_code, headers=exc.headers)


# Each domain refusal's status: the one place services' refusals become HTTP.
STATUS_OF: dict[type[refusals.Refusal], int] = {
    refusals.Invalid: 400, refusals.NotAuthenticated: 401, refusals.Forbidden: 403,
    refusals.NotFound: 404, refusals.Conflict: 409, refusals.TooLarge: 413,
    refusals.UnsupportedType: 415, refusals.KeyReused: 422, refusals.TooMany: 429,
    refusals.Unavailable: 503, refusals.StorageFull: 507,
}


def status_of(exc: refusals.Refusal) -> int:
    return next((code for kind, code in STATUS_OF.items() if isinstance(exc, kind)), 400)


def _refusal_handler(request: Request, exc: refusals.Refusal) -> Response:
    code = status_of(exc)
    body: dict[str, Any] = {"status_code": code, "detail": exc.message, "field": exc.field}
    if exc.missing:
        body["missing"] = exc.missing
    retry = getattr(exc, "retry_after", None)
    headers = {"Retry-After": str(retry)} if retry is not None else None
    return Response(body, status_code=code, headers=headers)


def _event_too_large_handler(request: Request, exc: EventTooLarge) -> Response:
    # Refused before anything was stored: the sender can shorten the text or drop attachments.
    return Response({"status_code": 413, "detail": str(exc), "field": None}, status_code=413)


_DEEP_JSON = {"status_code": 400, "field": None, "detail": f"JSON bersarang terlalu dalam "
              f"(maksimal {jsondepth.MAX_DEPTH} tingkat) / JSON nested too deeply"}


async def _refuse_deep_json(request: Request) -> Response | None:
    """Before a handler decodes a body: a body nested past the bound gets 400, not a
    RecursionError from the decoder."""
    if request.method in ("POST", "PUT", "PATCH") and "json" in request.content_type[0]:
        if jsondepth.too_deep(await request.body()):
            return Response(_DEEP_JSON, status_code=400)
    return None


def _crash_handler(request: Request, exc: Exception) -> Response:
    log.error("kesalahan internal pada %s", request.url.path, exc_info=exc)
    return Response(
        {"status_code": 500, "detail": "Terjadi kesalahan internal; tidak ada data yang hilang.",
         "field": None},
        status_code=HTTP_500_INTERNAL_SERVER_ERROR,
    )


def build_http_app(runtime: Runtime, routes: list[Any]) -> Litestar:
    @get("/health", media_type=MediaType.JSON, include_in_schema=False)
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @get("/ready", media_type=MediaType.JSON, include_in_schema=False)
    async def ready() -> Response:
        state = await asyncio.to_thread(runtime.readiness)  # it asks every store: blocking I/O
        return Response(state, status_code=200 if state["ready"] else 503)

    @get("/metrics", media_type="text/plain; version=0.0.4", include_in_schema=False)
    async def metrics() -> bytes:
        return exposition(runtime.metrics.registry)

    document_errors(routes)
    document_access(routes)
    settings = runtime.settings
    return Litestar(
        route_handlers=[health, ready, metrics, *routes],
        state=State({"signer": runtime.signer}),  # for the login guards (auth.staff_login)
        plugins=[ClosedStructSchemaPlugin()],
        request_max_body_size=settings.max_body_bytes,
        before_request=_refuse_deep_json,
        middleware=ratelimit.middleware(settings, runtime.signer),
        exception_handlers={
            ValidationException: _validation_handler,
            HTTPException: _http_handler,
            refusals.Refusal: _refusal_handler,
            EventTooLarge: _event_too_large_handler,
            HTTP_500_INTERNAL_SERVER_ERROR: _crash_handler,
        },
        openapi_config=openapi_config(
            settings.public_url or f"http://{settings.http_host}:{settings.http_port}"),
        debug=False,
        logging_config=None,  # keep our one-JSON-line logging (observability.setup_logging)
    )

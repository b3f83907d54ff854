"""The Litestar app of a process: the services' routes plus health, readiness and metrics.

Validation errors are answered in Indonesian (English after the slash), naming the bad field.
Every error has one body shape (`apidoc.ErrorBody`). A service's refusals (`refusals.py`) become
statuses here, in one place (`STATUS_OF`). Each route declares the error statuses it answers
(`responses=errors(...)`), the app adds the ones the framework answers (`document_errors`), and
`tests/e2e/test_api_fuzz.py` holds the server to that document.

A service's routes are Litestar controllers under one router (`service_routes`) that provides
the service object as the `service` dependency; `staff` and `caller` (auth.py) are the
logged-in staff member behind a route's guard.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from typing import Any, Protocol

import msgspec
from litestar.datastructures import State
from litestar import Litestar, MediaType, Request, Response, Router, get
from litestar._openapi.schema_generation.plugins.struct import StructSchemaPlugin
from litestar.exceptions import HTTPException, TooManyRequestsException, ValidationException
from litestar.di import Provide
from litestar.status_codes import HTTP_400_BAD_REQUEST, HTTP_500_INTERNAL_SERVER_ERROR

from .. import refusals
# Routes import `errors` from here, beside `refused_as` and `service_routes`.
from .apidoc import (api_handlers, document_access, document_errors, errors,  # noqa: F401
                     openapi_config)
from . import jsondepth, ratelimit
from ..settings import Settings
from .auth import TokenSigner, provide_caller, provide_staff
from .observability import Metrics, exposition
from .store import EventTooLarge


class Host(Protocol):
    """What the app needs of the process serving it (the runtime)."""

    settings: Settings
    signer: TokenSigner
    metrics: Metrics

    def readiness(self) -> dict: ...


log = logging.getLogger("lpse_helpdesk.http")
_MSGSPEC_PATH = re.compile(r" - at `\$\.?(?P<path>[^`]*)`")


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
    """The status of the most specific refusal type `exc` is (a `Conflict` that is also an
    `Invalid` is a conflict)."""
    return next((STATUS_OF[kind] for kind in type(exc).__mro__ if kind in STATUS_OF), 400)


def refusal_response(request: Request, exc: refusals.Refusal) -> Response:
    """A refusal's answer: its status from `STATUS_OF`, its reason, field and missing documents."""
    code = status_of(exc)
    body: dict[str, Any] = {"status_code": code, "detail": exc.message, "field": exc.field}
    if exc.missing:
        body["missing"] = exc.missing
    retry = getattr(exc, "retry_after", None)
    headers = {"Retry-After": str(retry)} if retry is not None else None
    return Response(body, status_code=code, headers=headers)


def refused_as(make: Callable[[Any], refusals.Refusal]) -> Callable[[Request, Any], Response]:
    """An exception handler (for a route's or controller's `exception_handlers`) that answers
    a service's own exception type as the refusal `make(exc)`."""

    def handler(request: Request, exc: Any) -> Response:
        return refusal_response(request, make(exc))

    return handler


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


def _constant(value: Any) -> Callable[[], Any]:
    def provide() -> Any:  # no parameters: Litestar would read them from the request
        return value

    return provide


def service_routes(service: Any, *handlers: Any, provided: dict[str, Any] | None = None,
                   **options: Any) -> Router:
    """A service's controllers, with the service object as their `service` dependency (and
    any other object of the service's in `provided`, by name; a `Provide` as it is)."""
    values = {"service": service, **(provided or {})}
    dependencies = {name: value if isinstance(value, Provide) else
                    Provide(_constant(value), use_cache=True, sync_to_thread=False)
                    for name, value in values.items()}
    return Router(path="/", route_handlers=list(handlers), dependencies=dependencies, **options)


def build_http_app(runtime: Host, routes: list[Any]) -> Litestar:
    from . import httpmetrics  # imports prometheus_client: only once the app is built

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

    settings = runtime.settings
    app = Litestar(
        route_handlers=[health, ready, metrics, *routes],
        dependencies={"staff": Provide(provide_staff), "caller": Provide(provide_caller)},
        state=State({"signer": runtime.signer}),  # for the login guards (auth.staff_login)
        plugins=[ClosedStructSchemaPlugin()],
        request_max_body_size=settings.max_body_bytes,
        before_request=_refuse_deep_json,
        # Outermost, so requests the rate limits refuse are counted too.
        middleware=[httpmetrics.middleware(runtime.metrics),
                    *ratelimit.middleware(settings, runtime.signer)],
        exception_handlers={
            ValidationException: _validation_handler,
            HTTPException: _http_handler,
            refusals.Refusal: refusal_response,
            EventTooLarge: _event_too_large_handler,
            HTTP_500_INTERNAL_SERVER_ERROR: _crash_handler,
        },
        openapi_config=openapi_config(
            settings.public_url or f"http://{settings.http_host}:{settings.http_port}"),
        debug=False,
        logging_config=None,  # keep our one-JSON-line logging (observability.setup_logging)
    )
    handlers = api_handlers(app)  # the copies the app routes to, which its document reads
    document_errors(handlers)
    document_access(handlers)
    return app

"""The API's OpenAPI document and its page, for people and tools outside the project.

Who may call an operation is read from its guard, so the document cannot drift from what the
server checks: `staff_login` needs the staff bearer token, `reporter_or_staff` accepts either
that token or the reporter's `?token=`, and a route without a guard is public (`security: []`).
The page at `/schema` is Swagger UI served from the `swagger-ui-py` package's files, so it works
without internet access (units' networks are often closed).
"""

from __future__ import annotations

import importlib.util
import inspect
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
from litestar import Litestar, Router, get
from litestar.handlers import HTTPRouteHandler
from litestar.exceptions import NotFoundException
from litestar.openapi import OpenAPIConfig, ResponseSpec
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.openapi.spec import Components, Contact, License, Operation, SecurityScheme, Tag
from litestar.params import FromPath
from litestar.response import File

from ..schemas.problems import Problem
from .auth import reporter_or_staff, staff_login

SCHEMA_PATH = "/schema"
STAFF, REPORTER, LINK = "staffBearer", "reporterToken", "reporterLink"

TAGS = [
    Tag(name="tiket", description="Membuat dan melihat tiket, lampiran / creating and viewing "
        "tickets, attachments"),
    Tag(name="pelapor", description="Panggilan pelapor dengan token akses tiketnya (atau staf) / "
        "the reporter's own calls, with the ticket's access token (or a staff login)"),
    Tag(name="staf", description="Login staf, antrean, angka dan laporan unit, aksi staf atas "
        "tiket / staff login, queues, unit figures and report, staff actions on a ticket"),
    Tag(name="loket", description="Buku tamu loket dan panggilan telepon yang dicatat staf / "
        "walk-in visits and phone calls recorded by staff"),
    Tag(name="faq", description="FAQ terbit per unit dan peninjauan drafnya / each unit's "
        "published FAQ and the review of its drafts"),
]

SECURITY_SCHEMES = {
    STAFF: SecurityScheme(
        type="http", scheme="bearer", bearer_format="token staf bertanda tangan HMAC",
        description="Token dari `POST /api/v1/auth/token`, berlaku 8 jam; peran dan unit "
                    "staf menentukan aksi yang boleh / the staff token from "
                    "`POST /api/v1/auth/token`, valid 8 hours; role and unit decide what it "
                    "may do"),
    REPORTER: SecurityScheme(
        type="apiKey", name="token", security_scheme_in="query",
        description="Token akses pelapor (`access_token` dari pembuatan tiket), hanya untuk "
                    "tiket itu / the reporter's access token, returned when the ticket was "
                    "created, valid for that ticket only"),
    LINK: SecurityScheme(
        type="apiKey", name="X-Reporter-Link", security_scheme_in="header",
        description="Tautan \"Tiket saya\" dari email pelapor (nilai `tautan`), berlaku 30 "
                    "menit untuk satu alamat di satu unit / the reporter's mailed \"Tiket "
                    "saya\" link value, valid 30 minutes for one address in one unit"),
}

# The staff actions on a ticket share one handler factory (workflow/http.py): their descriptions.
ACTION_DESCRIPTIONS = {
    "classify": "Menetapkan ulang kategori tiket dengan alasan; tenggat SLA dihitung ulang / "
                "reclassify the ticket with a reason; the SLA due times are recomputed.",
    "escalate": "Meneruskan tiket ke tingkat berikutnya dalam rantai unit dengan alasan; ke "
                "LKPP boleh disertai nomor dan tautan tiket LPSE Support (`external_ref`, "
                "`external_url`) / escalate to the next tier with a reason.",
    "answer": "Jawaban tingkat eskalasi kepada helpdesk / the escalation tier's answer.",
    "reply": "Balasan staf kepada pelapor; pelapor menerima surel / the staff's reply to the "
             "reporter, who gets a mail.",
    "request-info": "Meminta data tambahan dari pelapor; jam SLA berhenti sampai pelapor "
                    "menjawab / ask the reporter for more information; the SLA clock stops "
                    "until they answer.",
    "notes": "Catatan internal, tidak terlihat pelapor / an internal note the reporter never "
             "sees.",
    "close": "Menutup tiket dengan penyelesaian, opsional sebagai draf FAQ / close the ticket "
             "with its resolution, optionally as an FAQ draft.",
    "reopen": "Membuka kembali tiket yang ditutup, dengan alasan / reopen a closed ticket with "
              "a reason.",
}


@dataclass
class PublicOperation(Operation):
    """An operation anyone may call: `security: []` says so (Litestar leaves an empty list out,
    which reads as "not stated")."""

    def to_schema(self) -> dict[str, Any]:
        return {**super().to_schema(), "security": []}


def document_access(handlers: list[Any]) -> None:
    """Each API handler's `security`, from its guards (its own or its controller's)."""
    for handler in handlers:
        if handler.security:  # declared by the route itself (a credential of its own)
            continue
        # As declared on each layer (`resolve_guards` wraps them in async callables).
        guards = [guard for layer in handler.ownership_layers for guard in layer.guards or ()]
        if staff_login in guards:
            handler.security = [{STAFF: []}]
        elif reporter_or_staff in guards:
            handler.security = [{STAFF: []}, {REPORTER: []}]
        else:
            handler.operation_class = PublicOperation


class ErrorBody(msgspec.Struct, frozen=True, kw_only=True):
    """Every error answer: the status again, the reason (Indonesian first), and the field,
    header or query parameter at fault (null when there is none, e.g. a body that is not JSON).
    The handlers below send exactly these keys; `missing` only when a unit's standard asks for
    documents the request lacks; `problems` only where a route names every fault at once (a
    new ticket: each field with a sentence in Indonesian, the first being `field`)."""

    status_code: int
    detail: str
    field: str | None
    missing: list[str] = []
    problems: list[Problem] = []


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


def document_errors(handlers: list[HTTPRouteHandler]) -> None:
    """Add what every route answers through the framework to its declared error statuses: 400
    when it reads parameters or a body (Litestar's own 400 schema is not the body
    `_validation_handler` sends), 413 for a body (the size limit)."""
    for handler in handlers:
        codes: set[int] = {400} if _takes_input(handler) else set()
        if handler.http_methods & {"POST", "PUT", "PATCH"}:
            codes.add(413)
        if codes:
            handler.responses = {**errors(*sorted(codes)), **(handler.responses or {})}


def api_handlers(app: Litestar) -> list[Any]:
    """The route handlers in the API's document (not the pages, static files, /schema)."""
    return [handler for route in app.routes for handler in getattr(route, "route_handlers", ())
            if isinstance(handler, HTTPRouteHandler) and handler.resolve_include_in_schema()]


def _takes_input(handler: HTTPRouteHandler) -> bool:
    given = set(handler.resolve_dependencies()) | {"request", "self"}
    parameters = inspect.signature(handler.fn).parameters
    return any("{" in path for path in handler.paths) or bool(parameters.keys() - given)


def _swagger_assets() -> Path:
    spec = importlib.util.find_spec("swagger_ui")  # its files only: no import of its handlers
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("paket swagger-ui-py tidak terpasang / swagger-ui-py is not installed")
    return Path(spec.submodule_search_locations[0]) / "static"


class OfflineSwagger(SwaggerRenderPlugin):
    """Swagger UI whose script, stylesheet and icon come from this server (`/schema/assets/`)."""

    # Litestar adds `; charset=utf-8` to a text/* type itself.
    ASSETS = {"swagger-ui-bundle.js": "text/javascript", "swagger-ui.css": "text/css",
              "swagger-ui-standalone-preset.js": "text/javascript",
              "favicon-32x32.png": "image/png",
              "LICENSE": "text/plain"}  # Swagger UI's Apache-2.0 notice

    def __init__(self) -> None:
        base = f"{SCHEMA_PATH}/assets"
        super().__init__(
            path=["/", "/swagger"], js_url=f"{base}/swagger-ui-bundle.js",
            css_url=f"{base}/swagger-ui.css",
            standalone_preset_js_url=f"{base}/swagger-ui-standalone-preset.js",
            favicon=f"<link rel='icon' type='image/png' href='{base}/favicon-32x32.png'>")
        self.folder = _swagger_assets()

    def receive_router(self, router: Router) -> None:
        super().receive_router(router)

        @get("/assets/{name:str}", include_in_schema=False, sync_to_thread=False)
        def asset(name: FromPath[str]) -> File:
            if name not in self.ASSETS:
                raise NotFoundException(detail=f"`{name}` tidak ada / not found")
            return File(self.folder / name, media_type=self.ASSETS[name],
                        content_disposition_type="inline",
                        headers={"Cache-Control": "public, max-age=86400"})

        router.register(asset)


def openapi_config(home_url: str) -> OpenAPIConfig:
    return OpenAPIConfig(
        title="LPSE Helpdesk API", version="1", path=SCHEMA_PATH,
        description=(
            "Helpdesk (Layanan dan Dukungan) LPSE: tiket, eskalasi, FAQ. Staf login lewat "
            "`POST /api/v1/auth/token` dan mengirim `Authorization: Bearer <token>`; pelapor "
            "memakai `?token=` yang diterimanya saat membuat tiket. Setiap galat berbentuk "
            "`ErrorBody`: `status_code`, `detail` (bahasa Indonesia, lalu Inggris setelah "
            "garis miring) dan `field` (kolom, header atau parameter yang salah, atau null).\n\n"
            "Staff log in with `POST /api/v1/auth/token` and send `Authorization: Bearer "
            "<token>`; a reporter uses the `?token=` returned with the new ticket. Every error "
            "is an `ErrorBody`: `status_code`, `detail` and `field` (the field, header or "
            "parameter at fault, or null)."),
        contact=Contact(name="Helpdesk LPSE", url=f"{home_url.rstrip('/')}/"),
        license=License(name="Apache License 2.0", identifier="Apache-2.0"),
        tags=TAGS, components=Components(security_schemes=SECURITY_SCHEMES),
        render_plugins=[OfflineSwagger()],
    )

"""The API's OpenAPI document and its page, for people and tools outside the project.

Who may call an operation is read from its guard, so the document cannot drift from what the
server checks: `staff_login` needs the staff bearer token, `reporter_or_staff` accepts either
that token or the reporter's `?token=`, and a route without a guard is public (`security: []`).
The page at `/schema` is Swagger UI served from the `swagger-ui-py` package's files, so it works
without internet access (units' networks are often closed).
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from litestar import Router, get
from litestar.exceptions import NotFoundException
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.openapi.spec import Components, Contact, License, Operation, SecurityScheme, Tag
from litestar.params import FromPath
from litestar.response import File

from .auth import reporter_or_staff, staff_login

SCHEMA_PATH = "/schema"
STAFF, REPORTER = "staffBearer", "reporterToken"

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
}

# The staff actions on a ticket share one route factory (workflow/http.py): their descriptions.
ACTION_DESCRIPTIONS = {
    "classify": "Menetapkan ulang kategori tiket dengan alasan; tenggat SLA dihitung ulang / "
                "reclassify the ticket with a reason; the SLA due times are recomputed.",
    "escalate": "Meneruskan tiket ke tingkat berikutnya (koordinator, lalu LKPP) dengan "
                "alasan / escalate the ticket to the next tier with a reason.",
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
    """Each API handler's `security` from its guard, and the staff actions' descriptions."""
    for handler in handlers:
        if not hasattr(handler, "http_methods"):
            continue  # a Router (the web pages, static files): not in the API's document
        guards = handler.guards or []
        if staff_login in guards:
            handler.security = [{STAFF: []}]
        elif reporter_or_staff in guards:
            handler.security = [{STAFF: []}, {REPORTER: []}]
        else:
            handler.operation_class = PublicOperation
        if handler.description is None and handler.handler_name.startswith("ticket_"):
            action = handler.handler_name.removeprefix("ticket_").replace("_", "-")
            handler.description = ACTION_DESCRIPTIONS.get(action)


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

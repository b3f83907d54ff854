"""FAQ HTTP entrypoints: public listing, search, feed and "helpful" counts; staff review.

The public FAQ page (`/faq/{tenant}`) is the web part's, built on this API. The feed's links
name the configured public address (`HELPDESK_PUBLIC_URL`), never the request's `Host`
header: other sites copy the feed, and a forged Host would have pointed their readers anywhere.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Annotated
from urllib.parse import quote

import msgspec
from litestar import Controller, Request, get, post

from ... import refusals
from ...platform.auth import Principal, authorize, staff_login
from ...platform.http import errors, refused_as, service_routes
from ...platform.store import IntegrityError
from . import views
from .application import REVIEWERS, FaqService

Text = Annotated[str, msgspec.Meta(max_length=20_000)]


class PublicEntry(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    question: str
    answer: str
    category: str | None
    asked: int
    helpful_yes: int
    helpful_no: int


class Review(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    reason: Text = ""
    question: Annotated[str, msgspec.Meta(min_length=1, max_length=2000)] | None = None
    answer: Annotated[str, msgspec.Meta(min_length=1, max_length=20_000)] | None = None
    into: uuid.UUID | None = None
    # Publishing a draft that still holds a number of 8 digits or more answers 409 until the
    # reviewer says the number may stand.
    confirm_digits: bool = False


class Helpful(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    helpful: bool


def public(entry: views.Entry) -> PublicEntry:
    return PublicEntry(id=entry.id, question=entry.question, answer=entry.answer,
                       category=entry.category, asked=entry.asked,
                       helpful_yes=entry.helpful_yes, helpful_no=entry.helpful_no)


def public_base(settings) -> str:
    """Where the helpdesk is published: the setting, else this process's own address."""
    return (settings.public_url or f"http://{settings.http_host}:{settings.http_port}").rstrip("/")


def unit(service: FaqService, tenant: str):
    standard = service.standards.get(tenant)
    if standard is None or not standard.faq.publish:
        raise refusals.NotFound(f"Unit `{tenant}` tidak menerbitkan FAQ")
    return standard


class PublicFaq(Controller):
    path = "/api/v1/faq"
    tags = ["faq"]

    @get("/", summary="FAQ terbit, dengan pencarian", responses=errors(404),
         description="Entri FAQ yang diterbitkan unit, tanpa data pribadi; `q` mencari / the "
                     "unit's published FAQ entries, without personal data; `q` searches.")
    async def list_faq(self, service: FaqService, tenant: str, q: str = "") -> list[PublicEntry]:
        unit(service, tenant)
        found = await asyncio.to_thread(views.search if q else views.entries, service.store,
                                        tenant, *([q] if q else []))
        return [public(e) for e in found]

    @get("/feed", summary="JSON Feed 1.1 untuk situs lain", responses=errors(404),
         description="FAQ terbit unit sebagai JSON Feed 1.1, untuk ditampilkan situs LPSE / the "
                     "unit's published FAQ as a JSON Feed 1.1, for the LPSE's own site.")
    async def feed(self, service: FaqService, tenant: str) -> dict:
        standard = unit(service, tenant)
        found = await asyncio.to_thread(views.entries, service.store, tenant)
        home = f"{service.public_url}/faq/{quote(tenant, safe='')}"
        return {"version": "https://jsonfeed.org/version/1.1",
                "title": f"FAQ {standard.name}", "home_page_url": home,
                "feed_url": f"{service.public_url}/api/v1/faq/feed?tenant={quote(tenant, safe='')}",
                "language": "id",
                "items": [{"id": str(e.id), "url": f"{home}#faq-{e.id}",
                           "title": e.question.split("\n")[0],
                           "content_text": f"{e.question}\n\nJawaban: {e.answer}",
                           "tags": [e.category] if e.category else []} for e in found]}

    @post("/{entry_id:uuid}/helpful", status_code=204, responses=errors(404, 429),
          summary="Apakah jawaban ini membantu?",
          description="Pembaca menilai entri FAQ: membantu atau tidak / a reader rates an FAQ "
                      "entry as helpful or not.")
    async def helpful(self, entry_id: uuid.UUID, data: Helpful, service: FaqService) -> None:
        if not await asyncio.to_thread(views.rate, service.store, entry_id, data.helpful):
            raise refusals.NotFound("Entri FAQ tidak ditemukan / not found")


async def review(request: Request, service: FaqService, staff: Principal, action: str,
                 entry_id: uuid.UUID) -> dict:
    """A reviewer's decision on an entry; the body is optional (`{}` when empty)."""
    authorize(staff, roles=REVIEWERS)
    try:
        body = msgspec.json.decode(await request.body() or b"{}", type=Review)
    except msgspec.DecodeError as exc:
        raise refusals.Invalid(f"Data tidak valid: {exc}") from None
    if action == "edit" and not (body.question and body.answer):
        raise refusals.Invalid("Kolom `question` dan `answer` wajib diisi", field="question")
    if action == "merge" and body.into is None:
        raise refusals.Invalid("Kolom `into` wajib diisi", field="into")
    event = await asyncio.to_thread(service.review, action, entry_id, body, staff)
    return {"id": str(entry_id), "type": event.tag}


def unknown_action(action: str) -> refusals.NotFound:
    return refusals.NotFound(f"aksi `{action}` tidak dikenal")


class FaqReview(Controller):
    path = "/api/v1/faq"
    guards = [staff_login]
    tags = ["faq"]
    # Two reviewers decided on one version of the entry: the store refused the second.
    exception_handlers = {IntegrityError: refused_as(
        lambda exc: refusals.Conflict("Peninjau lain baru saja memutuskan"))}

    @get("/drafts", summary="Draf FAQ untuk ditinjau (staf)", responses=errors(401, 403),
         description="Draf dari tiket yang ditutup, menunggu peninjau / drafts from closed "
                     "tickets, waiting for a reviewer.")
    async def drafts(self, staff: Principal, service: FaqService,
                     tenant: str) -> list[views.Entry]:
        authorize(staff, tenant, REVIEWERS)
        return await asyncio.to_thread(views.entries, service.store, tenant, "draft")

    @post("/drafts/{entry_id:uuid}/{action:str}", status_code=200,
          responses=errors(401, 403, 404, 409),
          summary="Terbitkan atau tolak draf (publish, reject)",
          description="Peninjau menerbitkan atau menolak draf, dengan alasan opsional; draf yang "
                      "masih memuat angka 8 digit atau lebih baru terbit dengan "
                      "`{\"confirm_digits\": true}` (tanpa itu: 409) / a reviewer publishes or "
                      "rejects a draft, with an optional reason; a draft still holding a number of "
                      "8 digits or more publishes only with `confirm_digits` (else 409).")
    async def review_draft(self, request: Request, entry_id: uuid.UUID, action: str,
                           staff: Principal, service: FaqService) -> dict:
        if action not in ("publish", "reject"):
            raise unknown_action(action)
        return await review(request, service, staff, action, entry_id)

    @post("/{entry_id:uuid}/{action:str}", status_code=200, responses=errors(401, 403, 404, 409),
          summary="Ubah, tarik, atau gabungkan entri (edit, retract, merge)",
          description="`edit` butuh `question` dan `answer`, `merge` butuh `into` / `edit` needs "
                      "`question` and `answer`, `merge` needs `into`.")
    async def review_entry(self, request: Request, entry_id: uuid.UUID, action: str,
                           staff: Principal, service: FaqService) -> dict:
        if action not in ("edit", "retract", "merge"):
            raise unknown_action(action)
        return await review(request, service, staff, action, entry_id)


def routes(service: FaqService) -> list:
    return [service_routes(service, PublicFaq, FaqReview)]

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
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import ResponseHeader

from ... import refusals
from ...platform import paging
from ...platform.auth import Principal, authorize, staff_login
from ...platform.http import errors, refused_as, service_routes
from ...platform.store import IntegrityError
from . import views
from .application import REVIEWERS, FaqService

Text = Annotated[str, msgspec.Meta(max_length=20_000)]
TOTAL_HEADERS = [*paging.RESPONSE_HEADERS, ResponseHeader(
    name="X-Total-Count", documentation_only=True, value="",
    description="Jumlah semua entri, bukan hanya halaman ini / the count of every entry")]


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


def published_page(service: FaqService, tenant: str, q: str, after: str | None,
                   limit: int) -> tuple[paging.Page[views.Entry], int]:
    """A page of the unit's published entries, and how many there are in all: most asked
    first (the id breaking ties; read in SQL), or with `q` the best matches first (their rank,
    as the search gives at most `MAX_LIMIT`)."""
    if q:
        ranked = list(enumerate(views.search(service.store, tenant, q, paging.MAX_LIMIT)))
        found = paging.page_of(ranked, lambda pair: (pair[0], str(pair[1].id)), after, limit)
        return paging.Page([entry for _, entry in found.items], found.next), len(ranked)
    return (views.entries_page(service.store, tenant, "published", after, limit),
            views.count(service.store, tenant, "published"))


class PublicFaq(Controller):
    path = "/api/v1/faq"
    tags = ["faq"]

    @get("/", summary="FAQ terbit, dengan pencarian", responses=errors(400, 404),
         description="Entri FAQ yang diterbitkan unit, tanpa data pribadi, yang paling sering "
                     "ditanyakan dulu; `q` mencari (yang paling cocok dulu, 200 teratas) / the "
                     "unit's published FAQ entries, without personal data, most asked first; "
                     "`q` searches (best match first, the top 200). `X-Total-Count`: all of them "
                     "(with `q`, the matches) / the count of every entry. " + paging.PAGED_DOC,
         response_headers=TOTAL_HEADERS)
    async def list_faq(self, request: Request, service: FaqService, tenant: str, q: str = "",
                       after: paging.After = None, limit: paging.Limit = paging.DEFAULT_LIMIT,
                       ) -> Response[list[PublicEntry]]:
        unit(service, tenant)
        found, total = await asyncio.to_thread(published_page, service, tenant, q, after, limit)
        answer = paging.respond(request, paging.Page([public(e) for e in found.items], found.next))
        answer.headers["X-Total-Count"] = str(total)
        return answer

    @get("/feed", summary="JSON Feed 1.1 untuk situs lain", responses=errors(400, 404),
         description="FAQ terbit unit sebagai JSON Feed 1.1, untuk ditampilkan situs LPSE, per "
                     "halaman (`limit`, `after`; `next_url` menunjuk halaman berikutnya) / the "
                     "unit's published FAQ as a JSON Feed 1.1, for the LPSE's own site, paged "
                     "(`next_url` names the next page).")
    async def feed(self, service: FaqService, tenant: str, after: paging.After = None,
                   limit: paging.Limit = paging.DEFAULT_LIMIT) -> dict:
        standard = unit(service, tenant)
        found, _ = await asyncio.to_thread(published_page, service, tenant, "", after, limit)
        home = f"{service.public_url}/faq/{quote(tenant, safe='')}"
        feed_url = f"{service.public_url}/api/v1/faq/feed?tenant={quote(tenant, safe='')}"
        return {"version": "https://jsonfeed.org/version/1.1",
                "title": f"FAQ {standard.name}", "home_page_url": home, "feed_url": feed_url,
                "language": "id",
                **({"next_url": f"{feed_url}&limit={limit}&after={found.next}"}
                   if found.next else {}),
                "items": [{"id": str(e.id), "url": f"{home}#faq-{e.id}",
                           "title": e.question.split("\n")[0],
                           "content_text": f"{e.question}\n\nJawaban: {e.answer}",
                           "tags": [e.category] if e.category else []} for e in found.items]}

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

    @get("/drafts", summary="Draf FAQ untuk ditinjau (staf)", responses=errors(400, 401, 403),
         description="Draf dari tiket yang ditutup, menunggu peninjau, yang paling sering "
                     "ditanyakan dulu / drafts from closed tickets, waiting for a reviewer, most "
                     "asked first; `X-Total-Count`: all of them. " + paging.PAGED_DOC,
         response_headers=TOTAL_HEADERS)
    async def drafts(self, request: Request, staff: Principal, service: FaqService, tenant: str,
                     after: paging.After = None, limit: paging.Limit = paging.DEFAULT_LIMIT,
                     ) -> Response[list[views.Entry]]:
        authorize(staff, tenant, REVIEWERS)

        def read() -> tuple[paging.Page[views.Entry], int]:
            return (views.entries_page(service.store, tenant, "draft", after, limit),
                    views.count(service.store, tenant, "draft"))
        found, total = await asyncio.to_thread(read)
        answer = paging.respond(request, found)
        answer.headers["X-Total-Count"] = str(total)
        return answer

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

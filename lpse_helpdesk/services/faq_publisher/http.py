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
from litestar import Request, get, post
from litestar.exceptions import HTTPException
from litestar.params import FromPath, FromQuery, JSONBody

from ...platform.auth import require_staff, staff_login
from ...platform.store import IntegrityError
from ...workflow.rules import ActionRefused
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


def routes(service: FaqService) -> list:  # noqa: C901 - one closure per route
    def unit(tenant: str):
        standard = service.standards.get(tenant)
        if standard is None or not standard.faq.publish:
            raise HTTPException(status_code=404, detail=f"Unit `{tenant}` tidak menerbitkan FAQ")
        return standard

    @get("/api/v1/faq", tags=["faq"], summary="FAQ terbit, dengan pencarian",
         description="Entri FAQ yang diterbitkan unit, tanpa data pribadi; `q` mencari / the "
                     "unit's published FAQ entries, without personal data; `q` searches.")
    async def list_faq(tenant: FromQuery[str], q: FromQuery[str] = "") -> list[PublicEntry]:
        unit(tenant)
        found = await asyncio.to_thread(views.search if q else views.entries, service.store,
                                        tenant, *([q] if q else []))
        return [public(e) for e in found]

    @get("/api/v1/faq/feed", tags=["faq"], summary="JSON Feed 1.1 untuk situs lain",
         description="FAQ terbit unit sebagai JSON Feed 1.1, untuk ditampilkan situs LPSE / the "
                     "unit's published FAQ as a JSON Feed 1.1, for the LPSE's own site.")
    async def feed(tenant: FromQuery[str]) -> dict:
        standard = unit(tenant)
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

    @post("/api/v1/faq/{entry_id:uuid}/helpful", tags=["faq"], status_code=204,
          summary="Apakah jawaban ini membantu?",
          description="Pembaca menilai entri FAQ: membantu atau tidak / a reader rates an FAQ "
                      "entry as helpful or not.")
    async def helpful(entry_id: FromPath[uuid.UUID], data: JSONBody[Helpful]) -> None:
        if not await asyncio.to_thread(views.rate, service.store, entry_id, data.helpful):
            raise HTTPException(status_code=404, detail="Entri FAQ tidak ditemukan / not found")

    @get("/api/v1/faq/drafts", guards=[staff_login], tags=["faq"], summary="Draf FAQ untuk ditinjau (staf)",
         description="Draf dari tiket yang ditutup, menunggu peninjau / drafts from closed "
                     "tickets, waiting for a reviewer.")
    async def drafts(request: Request, tenant: FromQuery[str]) -> list[views.Entry]:
        require_staff(request, service.signer, tenant, REVIEWERS)
        return await asyncio.to_thread(views.entries, service.store, tenant, "draft")

    async def act(request: Request, action: str, entry_id: uuid.UUID) -> dict:
        staff = require_staff(request, service.signer, roles=REVIEWERS)
        raw = await request.body()
        try:
            body = msgspec.json.decode(raw or b"{}", type=Review)
        except msgspec.ValidationError as exc:
            raise HTTPException(status_code=400, detail=f"Data tidak valid: {exc}") from None
        if action == "edit" and not (body.question and body.answer):
            raise HTTPException(status_code=400, detail="Kolom `question` dan `answer` wajib diisi",
                                extra={"field": "question"})
        if action == "merge" and body.into is None:
            raise HTTPException(status_code=400, detail="Kolom `into` wajib diisi",
                                extra={"field": "into"})
        try:
            event = await asyncio.to_thread(service.review, action, entry_id, body, staff)
        except ActionRefused as exc:
            raise HTTPException(status_code=exc.status_code, detail=str(exc)) from None
        except IntegrityError:
            raise HTTPException(status_code=409, detail="Peninjau lain baru saja memutuskan") from None
        return {"id": str(entry_id), "type": event.tag}

    @post("/api/v1/faq/drafts/{entry_id:uuid}/{action:str}", guards=[staff_login], tags=["faq"], status_code=200,
          summary="Terbitkan atau tolak draf (publish, reject)",
          description="Peninjau menerbitkan atau menolak draf, dengan alasan opsional; draf yang "
                      "masih memuat angka 8 digit atau lebih baru terbit dengan "
                      "`{\"confirm_digits\": true}` (tanpa itu: 409) / a reviewer publishes or "
                      "rejects a draft, with an optional reason; a draft still holding a number of "
                      "8 digits or more publishes only with `confirm_digits` (else 409).")
    async def review_draft(request: Request, entry_id: FromPath[uuid.UUID],
                           action: FromPath[str]) -> dict:
        if action not in ("publish", "reject"):
            raise HTTPException(status_code=404, detail=f"aksi `{action}` tidak dikenal")
        return await act(request, action, entry_id)

    @post("/api/v1/faq/{entry_id:uuid}/{action:str}", guards=[staff_login], tags=["faq"], status_code=200,
          summary="Ubah, tarik, atau gabungkan entri (edit, retract, merge)",
          description="`edit` butuh `question` dan `answer`, `merge` butuh `into` / `edit` needs "
                      "`question` and `answer`, `merge` needs `into`.")
    async def review_entry(request: Request, entry_id: FromPath[uuid.UUID],
                           action: FromPath[str]) -> dict:
        if action not in ("edit", "retract", "merge"):
            raise HTTPException(status_code=404, detail=f"aksi `{action}` tidak dikenal")
        return await act(request, action, entry_id)

    return [list_faq, feed, helpful, drafts, review_draft, review_entry]

"""Intake's HTTP entrypoints: new tickets (`IntakeService.submit`), the reporter's replies and
feedback, the counter's visits and calls, uploads, and the held mail (`held_http.py`)."""

from __future__ import annotations

import asyncio
import functools
import uuid
from typing import Annotated

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.params import HeaderParameter, Parameter
from nats.errors import Error as NatsError

from ... import refusals
from ...platform import paging
from ...platform.attachments import AttachmentStore, StoreFull, check
from ...platform.auth import Principal, authorize, reporter_or_staff, staff_login
from ...platform.http import errors, refused_as, service_routes
from ...schemas.api import CounterEntry, CounterReceipt, Feedback, NewTicket, TicketCreated
from ...schemas.events import AttachmentRef
from ...workflow.http import TICKET_REFUSALS, ReporterToken, as_reporter
from . import fetch_http, held_http, problems_http, reply_files
from .application import IntakeService
from .reply_files import ReporterReply
from .uploads import UploadQuota
from .sniff import true_type

COUNTER_ROLES = ("helpdesk", "koordinator", "kepala_unit", "admin")
IdempotencyKey = Annotated[str | None, HeaderParameter(name="Idempotency-Key", max_length=200,
                                                       required=False)]


class FollowUp(msgspec.Struct, frozen=True):
    number: str
    type: str
    event_id: uuid.UUID


class GuestVisit(msgspec.Struct, frozen=True, kw_only=True):
    queue_number: str
    number: str
    name: str
    organization: str
    purpose: str
    logged_by: str


class GuestBook(msgspec.Struct, frozen=True, kw_only=True):
    tenant: str
    day: str
    visits: list[GuestVisit]
    next: str | None = None  # the next page's cursor (`after`), none on the last page


class TicketsController(Controller):
    path = "/api/v1/tickets"

    @post("/", summary="Buat tiket baru / create a ticket", tags=["tiket"],
          responses=errors(422, 429),
          description="Tiket baru dari portal atau kanal lain; jawabannya memuat nomor tiket dan "
          "token akses pelapor. Dokumen yang diwajibkan standar unit harus ada. Idempotency-Key "
          "yang sama mengulang jawaban pertama / a new ticket from the portal or another "
          "channel; the answer holds its number and the reporter's access token. The same "
          "Idempotency-Key replays the first answer.")
    async def create_ticket(self, data: NewTicket, service: IntakeService,
                            idempotency_key: IdempotencyKey = None) -> Response[TicketCreated]:
        # Grouped with concurrent submissions into one commit (ServiceStore.grouped): the 201
        # still waits for its ticket to be durably stored.
        result = await asyncio.wrap_future(
            service.store.grouped(service.submit, data, idempotency_key))
        headers = {"Idempotent-Replayed": "true"} if result.replayed else {}
        return Response(result.created, status_code=201, headers=headers)

    @post("/{number:str}/replies", guards=[reporter_or_staff], status_code=201,
          tags=["pelapor"], responses=errors(401, 404, 409), exception_handlers=TICKET_REFUSALS,
          summary="Balasan pelapor / reporter's reply",
          description="Pesan pelapor pada tiketnya, dengan lampiran opsional (id dari POST "
          "/api/v1/attachments); jam SLA yang berhenti menunggu pelapor berjalan lagi / the "
          "reporter's message on their ticket, optionally with uploaded files; an SLA clock "
          "waiting for the reporter runs again.")
    async def reporter_reply(self, number: str, data: ReporterReply, service: IntakeService,
                             token: ReporterToken = None) -> FollowUp:
        event = await as_reporter(number, token, functools.partial(reply_files.reply, service), data)
        return FollowUp(number=number, type=event.tag, event_id=event.event_id)

    @post("/{number:str}/feedback", guards=[reporter_or_staff], status_code=201,
          tags=["pelapor"], responses=errors(401, 404, 409), exception_handlers=TICKET_REFUSALS,
          summary="Pelapor mengonfirmasi jawaban atau menyatakan belum selesai",
          description="`solved: true` mengonfirmasi jawaban; `false` dalam `reopen_window` "
          "unit membuka kembali tiket / `solved: true` confirms the answer, `false` within the "
          "unit's `reopen_window` reopens the ticket.")
    async def reporter_feedback(self, number: str, data: Feedback, service: IntakeService,
                                token: ReporterToken = None) -> FollowUp:
        event = await as_reporter(number, token, service.reporter_follow_up, data)
        return FollowUp(number=number, type=event.tag, event_id=event.event_id)


class CounterController(Controller):
    path = "/api/v1/counter"
    guards = [staff_login]
    tags = ["loket"]

    @post("/visits", status_code=201, responses=errors(401, 403),
          summary="Catat tamu loket (buku tamu) dan beri nomor antrean",
          description="Staf loket mencatat tamu sebagai tiket kanal `walk_in` dan memberi nomor "
          "antrean / counter staff record a visitor as a `walk_in` ticket with a queue number.")
    async def walk_in(self, data: CounterEntry, staff: Principal,
                      service: IntakeService) -> CounterReceipt:
        authorize(staff, data.tenant, COUNTER_ROLES)
        return await asyncio.to_thread(service.log_counter, data, "walk_in", staff.username)

    @get("/visits", responses=errors(400, 401, 403),
         summary="Buku tamu loket satu hari (staf unit)",
         description="Tamu loket unit pada `day` (YYYY-MM-DD, hari kalender unit; kosong: hari "
         "ini) menurut nomor antrean, dengan nomor tiketnya; per halaman: `limit` (bawaan 50, "
         "maksimal 200) dan `after` (dari `next` jawaban sebelumnya) / the unit's walk-in "
         "visitors of one day in queue order, with their ticket numbers, paged by `limit` and "
         "the cursor `after` (the previous answer's `next`).")
    async def guest_book(self, staff: Principal, service: IntakeService, tenant: str,
                         day: Annotated[str, Parameter(pattern=r"^(\d{4}-\d{2}-\d{2})?$")] = "",
                         after: paging.After = None,
                         limit: paging.Limit = paging.DEFAULT_LIMIT) -> GuestBook:
        authorize(staff, tenant, COUNTER_ROLES)
        service.standard(tenant)
        day, visits, following = await asyncio.to_thread(
            service.guest_book, tenant, day, after, limit)
        return GuestBook(tenant=tenant, day=day, visits=[GuestVisit(**v) for v in visits],
                         next=following)

    @post("/calls", status_code=201, responses=errors(401, 403),
          summary="Catat panggilan telepon sebagai tiket",
          description="Staf mencatat panggilan telepon sebagai tiket kanal `phone` / staff "
          "record a phone call as a `phone` ticket.")
    async def phone_call(self, data: CounterEntry, staff: Principal,
                         service: IntakeService) -> CounterReceipt:
        authorize(staff, data.tenant, COUNTER_ROLES)
        return await asyncio.to_thread(service.log_counter, data, "phone", staff.username)


def _unavailable(exc: Exception) -> refusals.Unavailable:
    return refusals.Unavailable("Penyimpanan lampiran (NATS) sementara tidak tersedia; coba lagi")


UPLOAD_REFUSALS = {
    StoreFull: refused_as(lambda exc: refusals.StorageFull(
        "Penyimpanan lampiran penuh; kirim laporan tanpa lampiran atau coba lagi nanti / "
        "attachment storage full")),
    # The object store lives on NATS.
    ConnectionError: refused_as(_unavailable), TimeoutError: refused_as(_unavailable),
    NatsError: refused_as(_unavailable),
}


class Uploads:
    """The upload route's parts that outlive a request: the store client and the quota."""

    def __init__(self, service: IntakeService):
        self.store = AttachmentStore(service.broker) if service.broker is not None else None
        self.quota = UploadQuota(service.settings.upload_bytes_per_client_per_hour)


def upload_controller(largest: int) -> type[Controller]:
    """The upload route, its body bounded by the largest attachment any unit accepts."""

    class UploadController(Controller):
        @post("/api/v1/attachments", status_code=201, tags=["tiket"],
              request_max_body_size=largest, exception_handlers=UPLOAD_REFUSALS,
              responses=errors(415, 429, 503, 507),
              summary="Unggah lampiran (mis. tangkapan layar) sebelum membuat tiket",
              description="Badan permintaan adalah isi berkas, `Content-Type` tipenya; tipe dan "
              "ukuran dibatasi standar unit. `id` jawaban dipakai sekali di `attachments` tiket "
              "baru / the body is the file, `Content-Type` its type, limited by the unit's "
              "standard; the answer's `id` goes once into a new ticket's `attachments`.")
        async def upload(self, request: Request, service: IntakeService, uploads: Uploads,
                         tenant: str, filename: str = "lampiran") -> AttachmentRef:
            standard = service.standard(tenant)
            data = await request.body()
            content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
            content_type = true_type(filename, content_type, data)  # the bytes, not the label
            check(standard, filename, content_type, len(data))
            if uploads.store is None:
                raise refusals.Unavailable("Penyimpanan lampiran belum tersedia")
            uploads.quota.take(request.client.host if request.client else "", len(data))
            ref = await uploads.store.put(data, filename[:200], content_type)
            await asyncio.to_thread(service.remember_upload, tenant, ref)
            return ref

    return UploadController


def routes(service: IntakeService) -> list:
    largest = max((s.attachments.max_bytes for s in service.standards.values()),
                  default=5_000_000)
    uploads = Uploads(service)
    return [service_routes(service, TicketsController, CounterController,
                           upload_controller(largest), *held_http.CONTROLLERS,
                           *fetch_http.CONTROLLERS,
                           provided={"uploads": uploads},
                           exception_handlers=problems_http.handlers(service.standards))]

"""Intake's HTTP entrypoint: translate `POST /api/v1/tickets` into `IntakeService.submit`."""

from __future__ import annotations

import asyncio
import uuid
from typing import Annotated

import msgspec

from litestar import Request, Response, get, post
from litestar.exceptions import HTTPException
from litestar.params import FromPath, FromQuery, HeaderParameter, JSONBody

from ...platform.attachments import AttachmentRejected, AttachmentStore, StoreFull, check
from ...platform.auth import reporter_or_staff, require_staff, staff_login
from ...schemas.events import AttachmentRef
from ...schemas.api import CounterEntry, CounterReceipt, Feedback, Message, NewTicket, TicketCreated
from ...workflow.http import ReporterToken, as_reporter
from . import held
from .uploads import QuotaExceeded, UploadQuota
from .application import IdempotencyMismatch, IntakeService, UnknownTenant, UnknownUpload
from .requirements import RequirementsNotMet


def routes(service: IntakeService) -> list:  # noqa: C901 - one closure per route
    @post("/api/v1/tickets", summary="Buat tiket baru / create a ticket", tags=["tiket"],
          description="Tiket baru dari portal atau kanal lain; jawabannya memuat nomor tiket dan "
          "token akses pelapor. Dokumen yang diwajibkan standar unit harus ada. Idempotency-Key "
          "yang sama mengulang jawaban pertama / a new ticket from the portal or another "
          "channel; the answer holds its number and the reporter's access token. The same "
          "Idempotency-Key replays the first answer.")
    async def create_ticket(
        data: JSONBody[NewTicket],
        idempotency_key: Annotated[
            str | None, HeaderParameter(name="Idempotency-Key", max_length=200, required=False)
        ] = None,
    ) -> Response[TicketCreated]:
        try:
            # Grouped with concurrent submissions into one commit (ServiceStore.grouped): the
            # 201 still waits for its ticket to be durably stored.
            result = await asyncio.wrap_future(
                service.store.grouped(service.submit, data, idempotency_key))
        except UnknownTenant as exc:
            raise HTTPException(status_code=400, detail=f"Kolom `tenant`: {exc}",
                                extra={"field": "tenant"}) from None
        except RequirementsNotMet as exc:
            raise HTTPException(status_code=400, detail=str(exc),
                                extra={"field": exc.missing[0], "missing": exc.missing}) from None
        except UnknownUpload as exc:
            raise HTTPException(status_code=400, extra={"field": "attachments"}, detail=(
                f"Lampiran `{exc.args[0]}` tidak ada untuk unit ini atau sudah dipakai; unggah "
                "dulu lewat POST /api/v1/attachments")) from None
        except IdempotencyMismatch as exc:
            raise HTTPException(status_code=422, detail=str(exc),
                                extra={"field": "Idempotency-Key"}) from None
        headers = {"Idempotent-Replayed": "true"} if result.replayed else {}
        return Response(result.created, status_code=201, headers=headers)

    async def follow_up(number: str, token: str | None, body) -> FollowUp:
        event = await as_reporter(number, token, service.reporter_follow_up, body)
        return FollowUp(number=number, type=event.tag, event_id=event.event_id)

    @post("/api/v1/tickets/{number:str}/replies", guards=[reporter_or_staff], status_code=201, tags=["pelapor"],
          summary="Balasan pelapor / reporter's reply",
          description="Pesan pelapor pada tiketnya; jam SLA yang berhenti menunggu pelapor "
          "berjalan lagi / the reporter's message on their ticket; an SLA clock waiting for "
          "the reporter runs again.")
    async def reporter_reply(number: FromPath[str], data: JSONBody[Message],
                             token: ReporterToken = None) -> FollowUp:
        return await follow_up(number, token, data)

    @post("/api/v1/tickets/{number:str}/feedback", guards=[reporter_or_staff], status_code=201, tags=["pelapor"],
          summary="Pelapor mengonfirmasi jawaban atau menyatakan belum selesai",
          description="`solved: true` mengonfirmasi jawaban; `false` dalam `reopen_window` "
          "unit membuka kembali tiket / `solved: true` confirms the answer, `false` within the "
          "unit's `reopen_window` reopens the ticket.")
    async def reporter_feedback(number: FromPath[str], data: JSONBody[Feedback],
                                token: ReporterToken = None) -> FollowUp:
        return await follow_up(number, token, data)

    async def counter(request: Request, data: CounterEntry, channel: str) -> CounterReceipt:
        staff = require_staff(request, service.signer, data.tenant, COUNTER_ROLES)
        try:
            return await asyncio.to_thread(service.log_counter, data, channel, staff.username)
        except RequirementsNotMet as exc:
            raise HTTPException(status_code=400, detail=str(exc),
                                extra={"field": exc.missing[0], "missing": exc.missing}) from None
        except UnknownTenant as exc:
            raise HTTPException(status_code=400, detail=f"Kolom `tenant`: {exc}",
                                extra={"field": "tenant"}) from None

    @post("/api/v1/counter/visits", guards=[staff_login], status_code=201, tags=["loket"],
          summary="Catat tamu loket (buku tamu) dan beri nomor antrean",
          description="Staf loket mencatat tamu sebagai tiket kanal `walk_in` dan memberi nomor "
          "antrean / counter staff record a visitor as a `walk_in` ticket with a queue number.")
    async def walk_in(request: Request, data: JSONBody[CounterEntry]) -> CounterReceipt:
        return await counter(request, data, "walk_in")

    @post("/api/v1/counter/calls", guards=[staff_login], status_code=201, tags=["loket"],
          summary="Catat panggilan telepon sebagai tiket",
          description="Staf mencatat panggilan telepon sebagai tiket kanal `phone` / staff "
          "record a phone call as a `phone` ticket.")
    async def phone_call(request: Request, data: JSONBody[CounterEntry]) -> CounterReceipt:
        return await counter(request, data, "phone")

    largest = max((s.attachments.max_bytes for s in service.standards.values()), default=5_000_000)
    uploads = AttachmentStore(service.broker) if service.broker is not None else None
    quota = UploadQuota(service.settings.upload_bytes_per_client_per_hour)

    @post("/api/v1/attachments", status_code=201, tags=["tiket"], request_max_body_size=largest,
          summary="Unggah lampiran (mis. tangkapan layar) sebelum membuat tiket",
          description="Badan permintaan adalah isi berkas, `Content-Type` tipenya; tipe dan "
          "ukuran dibatasi standar unit. `id` jawaban dipakai sekali di `attachments` tiket baru "
          "/ the body is the file, `Content-Type` its type, limited by the unit's standard; the "
          "answer's `id` goes once into a new ticket's `attachments`.")
    async def upload(request: Request, tenant: FromQuery[str],
                     filename: FromQuery[str] = "lampiran") -> AttachmentRef:
        try:
            standard = service.standard(tenant)
        except UnknownTenant as exc:
            raise HTTPException(status_code=400, detail=f"Kolom `tenant`: {exc}",
                                extra={"field": "tenant"}) from None
        data = await request.body()
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        try:
            check(standard, filename, content_type, len(data))
        except AttachmentRejected as exc:
            raise HTTPException(status_code=415 if "tipe" in str(exc) else 413, detail=str(exc),
                                extra={"field": "Content-Type"}) from None
        if uploads is None:
            raise HTTPException(status_code=503, detail="Penyimpanan lampiran belum tersedia")
        try:
            quota.take(request.client.host if request.client else "", len(data))
        except QuotaExceeded as exc:
            raise HTTPException(status_code=429, detail=str(exc)) from None
        try:
            ref = await uploads.put(data, filename[:200], content_type)
        except StoreFull:
            raise HTTPException(status_code=507, detail=(
                "Penyimpanan lampiran penuh; kirim laporan tanpa lampiran atau coba lagi nanti / "
                "attachment storage full")) from None
        except Exception:  # noqa: BLE001 - the object store lives on NATS
            raise HTTPException(status_code=503, detail=(
                "Penyimpanan lampiran (NATS) sementara tidak tersedia; coba lagi")) from None
        await asyncio.to_thread(service.remember_upload, tenant, ref)
        return ref

    async def decide(request: Request, held_id: str, action, status: str) -> HeldOutcome:
        try:
            mail = await asyncio.to_thread(held.get, service, held_id)
        except held.HeldNotFound:
            raise HTTPException(status_code=404, detail="Surat tertahan tidak ditemukan") from None
        staff = require_staff(request, service.signer, mail.tenant, HELD_MAIL_ROLES)
        try:
            number = await asyncio.to_thread(action, service, held_id, staff.username)
        except held.AlreadyDecided as exc:
            raise HTTPException(status_code=409, detail=(
                f"Surat ini sudah diputuskan petugas: tiket {exc.args[0]}")) from None
        except LookupError:
            raise HTTPException(status_code=409, extra={"field": "number"}, detail=(
                f"Tiket {mail.number} tidak ada di unit ini; jadikan surat ini tiket baru")
            ) from None
        except msgspec.ValidationError as exc:
            raise HTTPException(status_code=400, detail=f"Isi surat bukan tiket yang sah: {exc}",
                                extra={"field": "body"}) from None
        except RequirementsNotMet as exc:
            raise HTTPException(status_code=400, detail=str(exc),
                                extra={"field": exc.missing[0], "missing": exc.missing}) from None
        return HeldOutcome(id=held_id, status=status, number=number)

    @get("/api/v1/mail/held", guards=[staff_login], tags=["staf"],
         summary="Surat tertahan untuk diperiksa petugas / mail held for staff",
         description="Surat yang menyebut nomor tiket tetapi tidak terbukti membalas surat "
         "helpdesk dari alamat pelapor; terbaru dulu, 200 paling banyak; `include_decided=true` "
         "juga yang sudah diputuskan / mail naming a ticket without proof that it answers our "
         "mail from the reporter, newest first, at most 200; `include_decided=true` adds the "
         "decided ones.")
    async def list_held(request: Request, tenant: FromQuery[str],
                        include_decided: FromQuery[bool] = False) -> list[held.HeldMail]:
        require_staff(request, service.signer, tenant, HELD_MAIL_ROLES)
        return await asyncio.to_thread(held.listing, service, tenant, not include_decided)

    @post("/api/v1/mail/held/{held_id:str}/accept", guards=[staff_login], tags=["staf"],
          status_code=201, summary="Tambahkan surat tertahan ke tiketnya / add to its ticket",
          description="Isi dan lampiran surat menjadi balasan pelapor pada tiket yang disebutnya, "
          "dengan catatan pengirim dan petugas; sekali saja / the mail's text and attachments "
          "become the reporter's reply on the ticket it names, noting sender and clerk; once.")
    async def accept_held(request: Request, held_id: FromPath[str]) -> HeldOutcome:
        return await decide(request, held_id, held.accept, "accepted")

    @post("/api/v1/mail/held/{held_id:str}/new-ticket", guards=[staff_login], tags=["staf"],
          status_code=201, summary="Jadikan surat tertahan tiket baru / make it a new ticket",
          description="Surat menjadi tiket baru unitnya dari pengirimnya (persyaratan standar "
          "unit berlaku); sekali saja / the mail becomes a new ticket of its unit from its "
          "sender (the unit's requirements apply); once.")
    async def held_to_ticket(request: Request, held_id: FromPath[str]) -> HeldOutcome:
        return await decide(request, held_id, held.new_ticket, "new_ticket")

    return [create_ticket, reporter_reply, reporter_feedback, walk_in, phone_call, upload,
            list_held, accept_held, held_to_ticket]


COUNTER_ROLES = ("helpdesk", "koordinator", "kepala_unit", "admin")
HELD_MAIL_ROLES = ("helpdesk", "koordinator", "kepala_unit", "admin")


class HeldOutcome(msgspec.Struct, frozen=True):
    id: str
    status: str  # accepted | new_ticket
    number: str  # the ticket the mail went to


class FollowUp(msgspec.Struct, frozen=True):
    number: str
    type: str
    event_id: uuid.UUID

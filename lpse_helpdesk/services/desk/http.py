"""Desk's HTTP entrypoints: staff login, the ticket view, the reporter's survey, queues, and the
head-of-unit figures and CSV report."""

from __future__ import annotations

import asyncio
import re
from typing import Annotated

import msgspec
from litestar import Request, Response, get, post
from litestar.exceptions import HTTPException
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from ...platform.attachments import AttachmentMissing
from ...platform.auth import (
    LOGIN_POOL,
    LoginsBusy,
    bearer,
    reporter_or_staff,
    require_staff,
    staff_login,
)
from ...schemas.api import Survey, SurveyReceipt, TicketView
from ...workflow.http import ReporterToken, action_route, as_reporter, ticket_not_found
from ...workflow.rules import TicketNotFound
from . import accounts_http, reports, totp, users
from .application import ACTIONS, DeskService, NotYourUnit
from .users import AccountLocked, LoginFailed, OtpFailed


def safe_name(filename: str) -> str:
    """A filename that cannot break the header (quotes, line breaks, non-ASCII)."""
    return re.sub(r"[^A-Za-z0-9._ -]", "_", filename)[:150] or "lampiran"


class Login(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    username: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    otp: totp.Otp = ""  # the authenticator app's code, once enrolled or required by the unit


class AccessToken(msgspec.Struct, frozen=True):
    access_token: str
    token_type: str = "bearer"


# Who reads the head-of-unit figures and the unit's CSV report.
REPORT_ROLES = ("kepala_unit", "koordinator", "admin_ppe", "admin")
DateFrom = Annotated[str | None, QueryParameter(
    name="from", required=False,
    description="Tanggal awal (YYYY-MM-DD, zona waktu unit), inklusif; bawaan: `to` - 29 hari")]
DateTo = Annotated[str | None, QueryParameter(
    name="to", required=False,
    description="Tanggal akhir (YYYY-MM-DD, zona waktu unit), inklusif; bawaan: hari ini")]


def routes(service: DeskService) -> list:
    LOGIN_POOL.warm()

    def login_with_code(username: str, password: str, otp: str) -> str:
        tenant, role = users.authenticate(service.store, username, password, otp=otp)
        return service.signer.issue(username, role, tenant)

    @post("/api/v1/auth/token", summary="Login staf / staff login", tags=["staf"], status_code=200,
          description="Nama pengguna dan kata sandi staf (dan kode `otp` bila OTP aktif atau "
          "diwajibkan unit) menjadi token bearer 8 jam; akun terkunci sementara setelah gagal "
          "berulang / a staff username and password (and the `otp` code once enrolled or "
          "required by the unit) become an 8-hour bearer token; repeated failures lock the "
          "account for a while.")
    async def login(data: JSONBody[Login]) -> AccessToken:
        # The staff form (/staf/masuk) posts here too: one path, one pool, one count.
        try:
            token = await LOGIN_POOL.run(login_with_code, data.username, data.password, data.otp)
        except LoginsBusy as exc:
            raise HTTPException(status_code=429, detail=str(exc),
                                headers={"Retry-After": "1"}) from None
        except AccountLocked as exc:
            raise HTTPException(status_code=429, detail=str(exc)) from None
        except OtpFailed as exc:
            raise HTTPException(status_code=401, detail=str(exc), extra={"field": "otp"}) from None
        except LoginFailed as exc:
            raise HTTPException(status_code=401, detail=str(exc)) from None
        return AccessToken(access_token=token)

    @get("/api/v1/tickets/{number:str}", guards=[reporter_or_staff], summary="Lihat tiket / view a ticket",
         tags=["tiket"], description=(
             "Dengan token bearer staf: tiket unitnya, catatan internal dan `allowed_actions`. "
             "Dengan `?token=` pelapor: tiket itu saja, tanpa catatan internal / with a staff "
             "bearer token: a ticket of their unit, internal notes and `allowed_actions`; with "
             "the reporter's `?token=`: that ticket only, without internal notes."))
    async def view_ticket(
        request: Request,
        number: FromPath[str],
        token: ReporterToken = None,
    ) -> TicketView:
        try:  # the guard let through a staff login or a reporter's token
            if bearer(request):
                staff = require_staff(request, service.signer)
                return await asyncio.to_thread(service.ticket_for_staff, number, staff)
            return await asyncio.to_thread(service.ticket_for_reporter, number, token or "")
        except TicketNotFound:
            raise ticket_not_found(number) from None
        except NotYourUnit:
            raise HTTPException(status_code=403, detail=(
                f"Tiket {number} milik unit lain / belongs to another unit")) from None

    @get("/api/v1/queues", guards=[staff_login], summary="Antrean tiket terbuka / open tickets by urgency",
         tags=["staf"], description="Tiket terbuka unit, yang paling mendesak dulu, dengan "
         "saringan opsional / the unit's open tickets, most urgent first, optionally filtered.")
    async def open_queue(
        request: Request, tenant: FromQuery[str], tier: FromQuery[str | None] = None,
        status: FromQuery[str | None] = None, category: FromQuery[str | None] = None,
        kind: FromQuery[str | None] = None, channel: FromQuery[str | None] = None,
    ) -> list[reports.QueueItem]:
        require_staff(request, service.signer, tenant)
        return await asyncio.to_thread(reports.queue, service.store, tenant, service.now(), tier,
                                       status, category, kind, channel)

    def unit_period(request: Request, tenant: str, date_from: str | None, date_to: str | None):
        require_staff(request, service.signer, tenant, REPORT_ROLES)
        standard = service.standards.get(tenant)
        if standard is None:
            raise HTTPException(status_code=404, extra={"field": "tenant"},
                                detail=f"Unit `{tenant}` tidak dikenal / unknown unit")
        try:
            start, end = reports.period(standard.zone, service.now(), date_from, date_to)
        except reports.BadPeriod as exc:
            raise HTTPException(status_code=400, detail=str(exc),
                                extra={"field": exc.field}) from None
        return standard, start, end

    @get("/api/v1/units/{tenant:str}/figures", guards=[staff_login], tags=["staf"],
         summary="Angka kinerja unit untuk Kepala Unit / head-of-unit figures",
         description="Tiket per hari, ketepatan SLA, eskalasi dan IKM survei dalam periode / "
         "tickets per day, SLA compliance, escalations and the survey's IKM over a period.")
    async def unit_figures(request: Request, tenant: FromPath[str], date_from: DateFrom = None,
                           date_to: DateTo = None) -> reports.Figures:
        standard, start, end = unit_period(request, tenant, date_from, date_to)
        return await asyncio.to_thread(reports.figures, service.store, tenant, service.now(),
                                       standard, start, end)

    @get("/api/v1/units/{tenant:str}/report.csv", guards=[staff_login], tags=["staf"],
         summary="Laporan tiket unit (CSV) / the unit's ticket report as CSV",
         description="Satu baris per tiket yang diterima dalam periode, UTF-8 / one row per "
         "ticket received in the period, UTF-8.", media_type="text/csv")
    async def unit_report(request: Request, tenant: FromPath[str], date_from: DateFrom = None,
                          date_to: DateTo = None) -> Response:
        standard, start, end = unit_period(request, tenant, date_from, date_to)
        text = await asyncio.to_thread(reports.report_csv, service.store, tenant, standard.zone,
                                       start, end)
        # Litestar names the charset of a text/* type itself: once.
        return Response(text.encode("utf-8"), media_type="text/csv", headers={
            "Content-Disposition":
                f'attachment; filename="laporan-{safe_name(tenant)}-{start}-{end}.csv"'})

    @post("/api/v1/tickets/{number:str}/survey", guards=[reporter_or_staff], status_code=201, tags=["pelapor"],
          summary="Survei kepuasan (SKM) pelapor atas tiket yang ditutup / satisfaction survey",
          description="Sembilan unsur SKM (1-4) dan komentar, sekali per tiket yang ditutup / "
          "the nine SKM elements (1-4) and a comment, once per closed ticket.")
    async def reporter_survey(number: FromPath[str], data: JSONBody[Survey],
                              token: ReporterToken = None) -> SurveyReceipt:
        event = await as_reporter(number, token, service.submit_survey, data)
        return SurveyReceipt(number=number, type=event.tag, event_id=event.event_id)

    @get("/api/v1/tickets/{number:str}/attachments/{attachment_id:str}", guards=[reporter_or_staff], tags=["tiket"],
         summary="Unduh lampiran / download an attachment", media_type="application/octet-stream",
         description="Berkas lampiran tiket, dengan tipe aslinya dan `X-Content-SHA256` / the "
         "ticket's attached file, with its own type and `X-Content-SHA256`.")
    async def download(request: Request, number: FromPath[str], attachment_id: FromPath[str],
                       token: ReporterToken = None) -> Response:
        staff = require_staff(request, service.signer) if bearer(request) else None
        try:
            ref = await asyncio.to_thread(service.attachment, number, attachment_id, token, staff)
            data = await service.attachments.get(ref)
        except (TicketNotFound, AttachmentMissing):
            raise HTTPException(status_code=404, detail="Lampiran tidak ditemukan") from None
        except NotYourUnit:
            raise HTTPException(status_code=403, detail="Lampiran tiket unit lain") from None
        except ConnectionError:  # the object store lives on NATS (natsclient.BusDown)
            raise HTTPException(status_code=503, detail=(
                "Penyimpanan lampiran (NATS) sementara tidak tersedia; coba lagi")) from None
        return Response(data, media_type=ref.content_type, headers={
            "Content-Disposition": f'attachment; filename="{safe_name(ref.filename)}"',
            "X-Content-SHA256": ref.sha256})

    actions = [
        action_route(name, body, service.signer,
                     lambda number, data, staff, name=name: service.act(name, number, data, staff))
        for name, body in ACTIONS.items()
    ]
    return [login, view_ticket, open_queue, unit_figures, unit_report, reporter_survey, download,
            *actions, *accounts_http.routes(service), *totp.routes(service)]

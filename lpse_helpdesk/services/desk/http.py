"""Desk's HTTP entrypoints: staff login, the ticket view, the reporter's survey, attachments,
queues, the head-of-unit figures and CSV report, and the staff actions on a ticket."""

from __future__ import annotations

import asyncio
import functools
import re
from typing import Annotated

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import ResponseHeader
from litestar.di import Provide
from litestar.params import QueryParameter

from ... import refusals
from ...platform import paging
from ...platform.attachments import AttachmentMissing
from ...platform.auth import LOGIN_POOL, Principal, authorize, reporter_or_staff, staff_login
from ...platform.http import errors, refused_as, service_routes
from ...schemas.api import ActionResult, Assign, Survey, SurveyReceipt, TicketView
from ...workflow.http import (
    TICKET_REFUSALS, ReporterToken, TicketActions, actions_controller, as_reporter,
)
from ...workflow.rules import TicketNotFound
from . import (
    accounts_http, agents, canned_http, merge_http, open_queue, reporter_http, reports, search,
    skm_http, totp_http, users,
)
from .application import ACTIONS, DeskService, NotYourUnit


def safe_name(filename: str) -> str:
    """A filename that cannot break the header (quotes, line breaks, non-ASCII)."""
    return re.sub(r"[^A-Za-z0-9._ -]", "_", filename)[:150] or "lampiran"


class Login(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    username: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    otp: totp_http.Otp = ""  # the authenticator app's code, once enrolled or required by the unit


class AccessToken(msgspec.Struct, frozen=True):
    access_token: str
    token_type: str = "bearer"


Filter = Annotated[str | None, QueryParameter(required=False, max_length=64)]
QUEUE_HEADERS = [*paging.RESPONSE_HEADERS, *(
    ResponseHeader(name=name, documentation_only=True, value="", description=text)
    for name, text in (("X-Total-Count", "Jumlah tiket terbuka yang cocok / matching open tickets"),
                       ("X-Overdue-Count", "Yang lewat batas waktu / of those, overdue")))]

# Who reads the head-of-unit figures and the unit's CSV report.
REPORT_ROLES = ("kepala_unit", "koordinator", "admin_ppe", "admin")
DateFrom = Annotated[str | None, QueryParameter(
    name="from", required=False,
    description="Tanggal awal (YYYY-MM-DD, zona waktu unit), inklusif; bawaan: `to` - 29 hari")]
DateTo = Annotated[str | None, QueryParameter(
    name="to", required=False,
    description="Tanggal akhir (YYYY-MM-DD, zona waktu unit), inklusif; bawaan: hari ini")]

ATTACHMENTS_DOWN = "Penyimpanan lampiran (NATS) sementara tidak tersedia; coba lagi"
# A download names the attachment, not the ticket, in its refusals.
DOWNLOAD_REFUSALS = {
    TicketNotFound: refused_as(lambda exc: refusals.NotFound("Lampiran tidak ditemukan")),
    AttachmentMissing: refused_as(lambda exc: refusals.NotFound("Lampiran tidak ditemukan")),
    NotYourUnit: refused_as(lambda exc: refusals.Forbidden("Lampiran tiket unit lain")),
    # The object store lives on NATS (natsclient.BusDown).
    ConnectionError: refused_as(lambda exc: refusals.Unavailable(ATTACHMENTS_DOWN)),
}


class LoginController(Controller):
    @post("/api/v1/auth/token", summary="Login staf / staff login", tags=["staf"],
          status_code=200, responses=errors(401, 429),
          description="Nama pengguna dan kata sandi staf (dan kode `otp` bila OTP aktif atau "
          "diwajibkan unit) menjadi token bearer 8 jam; akun terkunci sementara setelah gagal "
          "berulang / a staff username and password (and the `otp` code once enrolled or "
          "required by the unit) become an 8-hour bearer token; repeated failures lock the "
          "account for a while.")
    async def login(self, data: Login, service: DeskService) -> AccessToken:
        # The staff form (/staf/masuk) posts here too: one path, one pool, one count.
        tenant, role = await LOGIN_POOL.run(functools.partial(
            users.authenticate, service.store, data.username, data.password, otp=data.otp))
        return AccessToken(access_token=service.signer.issue(data.username, role, tenant))


class TicketController(Controller):
    path = "/api/v1/tickets/{number:str}"
    guards = [reporter_or_staff]
    exception_handlers = TICKET_REFUSALS

    @get("/", summary="Lihat tiket / view a ticket", tags=["tiket"],
         responses=errors(401, 403, 404), description=(
             "Dengan token bearer staf: tiket unitnya, catatan internal dan `allowed_actions`. "
             "Dengan `?token=` pelapor: tiket itu saja, tanpa catatan internal / with a staff "
             "bearer token: a ticket of their unit, internal notes and `allowed_actions`; with "
             "the reporter's `?token=`: that ticket only, without internal notes."))
    async def view_ticket(self, number: str, caller: Principal | None, service: DeskService,
                          request: Request, token: ReporterToken = None) -> TicketView:
        if caller is not None:
            view = await asyncio.to_thread(service.ticket_for_staff, number, caller)
            skm_http.noted(service, request, caller, view.tenant, number, "lihat_tiket")
            return view
        return await asyncio.to_thread(service.ticket_for_reporter, number, token or "")

    @post("/survey", status_code=201, tags=["pelapor"], responses=errors(401, 404, 409),
          summary="Survei kepuasan (SKM) pelapor atas tiket yang ditutup / satisfaction survey",
          description="Sembilan unsur SKM (1-4) dan komentar, sekali per tiket yang ditutup / "
          "the nine SKM elements (1-4) and a comment, once per closed ticket.")
    async def reporter_survey(self, number: str, data: Survey, service: DeskService,
                              token: ReporterToken = None) -> SurveyReceipt:
        event = await as_reporter(number, token, service.submit_survey, data)
        return SurveyReceipt(number=number, type=event.tag, event_id=event.event_id)

    @get("/attachments/{attachment_id:str}", tags=["tiket"],
         summary="Unduh lampiran / download an attachment", media_type="application/octet-stream",
         exception_handlers=DOWNLOAD_REFUSALS, responses=errors(401, 403, 404, 503),
         description="Berkas lampiran tiket, dengan tipe aslinya dan `X-Content-SHA256` / the "
         "ticket's attached file, with its own type and `X-Content-SHA256`.")
    async def download(self, number: str, attachment_id: str, caller: Principal | None,
                       service: DeskService, request: Request,
                       token: ReporterToken = None) -> Response:
        ref = await asyncio.to_thread(service.attachment, number, attachment_id, token, caller)
        if service.attachments is None:  # NATS not connected yet
            raise refusals.Unavailable(ATTACHMENTS_DOWN)
        data = await service.attachments.get(ref)
        if caller is not None:
            skm_http.noted(service, request, caller, "", number, "unduh_lampiran")
        return Response(data, media_type=ref.content_type, headers={
            "Content-Disposition": f'attachment; filename="{safe_name(ref.filename)}"',
            "X-Content-SHA256": ref.sha256})


PERIOD_REFUSALS = {reports.BadPeriod: refused_as(
    lambda exc: refusals.Invalid(str(exc), field=exc.field))}


class ReportsController(Controller):
    guards = [staff_login]
    tags = ["staf"]
    exception_handlers = PERIOD_REFUSALS

    @get("/api/v1/queues", summary="Antrean tiket terbuka / open tickets by urgency",
         responses=errors(400, 401, 403), response_headers=QUEUE_HEADERS,
         description="Tiket terbuka unit, per halaman, yang paling mendesak dulu (`sort`, "
         "`order`: urutan lain; nomor tiket memutus seri), dengan saringan opsional "
         "(`assignee`: nama pengguna yang ditugaskan). `X-Total-Count` dan `X-Overdue-Count`: "
         "jumlah semua yang cocok dan yang terlambat, di setiap halaman / the unit's open "
         "tickets a page at a time, most urgent first, optionally filtered. " + paging.PAGED_DOC)
    async def open_queue(
        self, staff: Principal, service: DeskService, request: Request, tenant: str,
        tier: Filter = None, status: Filter = None, category: Filter = None,
        kind: Filter = None, channel: Filter = None, assignee: Filter = None,
        sort: Annotated[open_queue.Sort, QueryParameter(
            required=False, description="Urutan: `urgency` (bawaan, batas waktu terdekat "
            "dulu), atau kolom lain / the order")] = "urgency",
        order: Annotated[open_queue.Order, QueryParameter(
            required=False, description="`asc` (bawaan) atau `desc`")] = "asc",
        limit: paging.Limit = paging.DEFAULT_LIMIT, after: paging.After = None,
    ) -> Response[list[open_queue.QueueItem]]:
        authorize(staff, tenant)
        filters = dict(tier=tier, status=status, category=category, kind=kind,
                       channel=channel, assignee=assignee)
        found = await asyncio.to_thread(open_queue.queue, service.store, tenant, service.now(),
                                        filters, sort, order, limit, after)
        answer = paging.respond(request, paging.Page(found.items, found.next))
        answer.headers.update({"X-Total-Count": str(found.total),
                               "X-Overdue-Count": str(found.overdue)})
        return answer

    @get("/api/v1/units/{tenant:str}/figures", responses=errors(401, 403, 404),
         summary="Angka kinerja unit untuk Kepala Unit / head-of-unit figures",
         description="Tiket per hari, ketepatan SLA, eskalasi dan IKM survei dalam periode / "
         "tickets per day, SLA compliance, escalations and the survey's IKM over a period.")
    async def unit_figures(self, staff: Principal, service: DeskService, tenant: str,
                           date_from: DateFrom = None,
                           date_to: DateTo = None) -> agents.UnitFigures:
        standard, start, end = unit_period(service, staff, tenant, date_from, date_to)
        return await asyncio.to_thread(agents.figures, service.store, tenant, service.now(),
                                       standard, start, end)

    @get("/api/v1/units/{tenant:str}/report.csv", responses=errors(401, 403, 404),
         summary="Laporan tiket unit (CSV) / the unit's ticket report as CSV",
         description="Satu baris per tiket yang diterima dalam periode, UTF-8 / one row per "
         "ticket received in the period, UTF-8.", media_type="text/csv")
    async def unit_report(self, staff: Principal, service: DeskService, tenant: str,
                          date_from: DateFrom = None, date_to: DateTo = None) -> Response:
        standard, start, end = unit_period(service, staff, tenant, date_from, date_to)
        text = await asyncio.to_thread(reports.report_csv, service.store, tenant, standard.zone,
                                       start, end, standard.fields)
        # Litestar names the charset of a text/* type itself: once.
        return Response(text.encode("utf-8"), media_type="text/csv", headers={
            "Content-Disposition":
                f'attachment; filename="laporan-{safe_name(tenant)}-{start}-{end}.csv"'})


SearchFrom = Annotated[str | None, QueryParameter(
    name="from", required=False, description="Diterima sejak tanggal ini (YYYY-MM-DD, zona "
    "waktu unit), inklusif; tanpa batas bila kosong")]
SearchTo = Annotated[str | None, QueryParameter(
    name="to", required=False, description="Diterima sampai tanggal ini (YYYY-MM-DD, zona "
    "waktu unit), inklusif; tanpa batas bila kosong")]


SEARCH_DOC = dict(
    summary="Cari tiket / search tickets", tags=["staf"], responses=errors(400, 401, 403, 404),
    description="Semua tiket unit, terbuka dan ditutup, yang terbaru dulu, per halaman: `q` "
    "mencari nomor, judul, uraian, nama, e-mail dan organisasi pelapor (setiap kata harus "
    "ada); saringan status, kategori, tingkat, kanal, jenis, `assignee` dan tanggal diterima "
    "/ every ticket of the unit, open and closed, newest first, a page at a time.")


async def search_tickets(
    staff: Principal, service: DeskService, tenant: str,
    q: Annotated[str, QueryParameter(required=False, max_length=200)] = "",
    status: Filter = None, category: Filter = None, tier: Filter = None,
    channel: Filter = None, kind: Filter = None, assignee: Filter = None,
    date_from: SearchFrom = None, date_to: SearchTo = None,
    page: Annotated[int, QueryParameter(required=False, ge=1, le=100_000)] = 1,
    per_page: Annotated[int, QueryParameter(required=False, ge=1, le=search.MAX_PER_PAGE)]
    = search.PER_PAGE,
) -> search.SearchPage:
    authorize(staff, tenant)
    standard = service.standards.get(tenant)
    if standard is None:
        raise refusals.NotFound(f"Unit `{tenant}` tidak dikenal / unknown unit", field="tenant")
    return await asyncio.to_thread(
        search.search, service.store, tenant, standard.zone, q, page, per_page, date_from,
        date_to, status=status, category=category, tier=tier, channel=channel, kind=kind,
        assignee=assignee)


def search_route(service: DeskService):
    """`GET /api/v1/tickets` as a handler of its own, not in the desk's router: intake's
    router holds `POST /api/v1/tickets`, and Litestar merges two routers' routes of one path
    only if at most one of them brings its automatic OPTIONS handler (a lone handler brings
    none; intake's routes come first, `services.NAMES`)."""
    return get("/api/v1/tickets", guards=[staff_login], exception_handlers=PERIOD_REFUSALS,
               dependencies={"service": Provide(lambda: service, sync_to_thread=False)},
               **SEARCH_DOC)(search_tickets)


def unit_period(service: DeskService, staff: Principal, tenant: str, date_from: str | None,
                date_to: str | None):
    """The unit's standard and the period asked for, for a reader of its figures."""
    authorize(staff, tenant, REPORT_ROLES)
    standard = service.standards.get(tenant)
    if standard is None:
        raise refusals.NotFound(f"Unit `{tenant}` tidak dikenal / unknown unit", field="tenant")
    start, end = reports.period(standard.zone, service.now(), date_from, date_to)
    return standard, start, end


DeskActions = actions_controller("DeskActions", ACTIONS)
ASSIGNMENT_ERRORS = errors(400, 401, 403, 404, 409)


class AssignmentController(TicketActions):
    """Who works a ticket: any staff member of its unit assigns it to an active staff user of
    that unit, claims it, or gives it back to the unit's shared queue."""

    @post("/assign", status_code=200, responses=ASSIGNMENT_ERRORS,
          summary="Tugaskan tiket / assign a ticket",
          description="Kepada staf aktif unit tiket (`assignee`: nama pengguna) / to an active "
          "staff user of the ticket's unit.")
    async def assign(self, number: str, data: Assign, staff: Principal,
                     service: DeskService) -> ActionResult:
        return await asyncio.to_thread(service.assign, "assign", number, data.assignee, staff)

    @post("/claim", status_code=200, responses=ASSIGNMENT_ERRORS,
          summary="Ambil tiket / claim a ticket",
          description="Tugaskan tiket kepada diri sendiri / assign the ticket to oneself.")
    async def claim(self, number: str, staff: Principal, service: DeskService) -> ActionResult:
        return await asyncio.to_thread(service.assign, "claim", number, "", staff)

    @post("/unassign", status_code=200, responses=ASSIGNMENT_ERRORS,
          summary="Lepas penugasan / unassign a ticket",
          description="Tiket kembali ke antrean bersama unit / back to the unit's shared queue.")
    async def unassign(self, number: str, staff: Principal, service: DeskService) -> ActionResult:
        return await asyncio.to_thread(service.assign, "unassign", number, "", staff)


def routes(service: DeskService) -> list:
    LOGIN_POOL.warm()
    return [service_routes(service, LoginController, TicketController, ReportsController,
                           DeskActions, AssignmentController, merge_http.MergeController,
                           canned_http.CannedRepliesController,
                           *accounts_http.CONTROLLERS,
                           *totp_http.CONTROLLERS, *skm_http.CONTROLLERS,
                           *reporter_http.CONTROLLERS,
                           provided={"links": reporter_http.ReporterLinks()}),
            search_route(service)]

"""The desk's SKM report per semester or year (JSON and CSV) and the personal-data access log's
export, as staff routes; and `noted`, which the ticket view and the download call to log an
access to personal data."""

from __future__ import annotations

import asyncio
from datetime import UTC, timedelta
from typing import Annotated

from litestar import Controller, Request, Response, get
from litestar.params import QueryParameter
from litestar.response import Stream

from ... import refusals
from ...platform.auth import Principal, authorize, staff_login
from ...platform.http import errors, refused_as
from . import access_log, skm_report
from .application import DeskService
from .reports import BadPeriod

REPORT_ROLES = ("kepala_unit", "koordinator", "admin_ppe", "admin")
# Who may read the access log: it names staff and tickets, and serves a breach report.
ACCESS_LOG_ROLES = ("koordinator", "admin")
Period = Annotated[str | None, QueryParameter(
    required=False, max_length=20, description="`TAHUN-S1` (Januari-Juni), `TAHUN-S2` "
    "(Juli-Desember) atau `TAHUN`; bawaan: semester berjalan")]
Since = Annotated[str, QueryParameter(
    max_length=40, description="Sejak (YYYY-MM-DD di zona waktu unit, atau waktu ISO 8601)")]
Until = Annotated[str | None, QueryParameter(
    required=False, max_length=40, description="Sampai sebelum (format sama), bawaan: sekarang")]


def of(service: DeskService) -> access_log.AccessLog:
    """The process's access log of this desk (one per service object)."""
    found = service.__dict__.get("personal_access_log")
    if found is None:
        found = service.__dict__["personal_access_log"] = access_log.AccessLog(
            service.store, service.now)
    return found


def noted(service: DeskService, request: Request, caller: Principal, tenant: str, number: str,
          action: str) -> None:
    """Log a staff member's access to a ticket's personal data (after it was read)."""
    of(service).note(tenant, caller.username, caller.role, number, action,
                     request.client.host if request.client else "")


def _unit(service: DeskService, staff: Principal, tenant: str, roles: tuple[str, ...]):
    authorize(staff, tenant, roles)
    standard = service.standards.get(tenant)
    if standard is None:
        raise refusals.NotFound(f"Unit `{tenant}` tidak dikenal / unknown unit", field="tenant")
    return standard


def _csv(text: str, filename: str) -> Response:
    return Response(text.encode("utf-8"), media_type="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "no-store"})


class SkmController(Controller):
    path = "/api/v1/units/{tenant:str}"
    guards = [staff_login]
    tags = ["staf"]
    exception_handlers = {BadPeriod: refused_as(
        lambda exc: refusals.Invalid(str(exc), field=exc.field))}

    @get("/skm", responses=errors(400, 401, 403, 404),
         summary="Laporan SKM per semester/tahun / the unit's SKM report",
         description="IKM (PermenPANRB 14/2017), nilai per unsur (NRR), mutu pelayanan, jumlah "
         "responden dan profil responden pada periode / IKM, per-element values, grade, "
         "respondents and their profile over a semester or a year.")
    async def skm(self, staff: Principal, service: DeskService, tenant: str,
                  periode: Period = None) -> skm_report.SkmReport:
        standard = _unit(service, staff, tenant, REPORT_ROLES)
        return await asyncio.to_thread(skm_report.report, service.store, tenant, standard.zone,
                                       service.now(), periode)

    @get("/skm.csv", responses=errors(400, 401, 403, 404), media_type="text/csv",
         summary="Laporan SKM (CSV) / the unit's SKM report as CSV",
         description="Baris IKM, satu baris per unsur, satu baris per jawaban profil; UTF-8 / "
         "the IKM, a row per element and a row per profile answer.")
    async def skm_csv(self, staff: Principal, service: DeskService, tenant: str,
                      periode: Period = None) -> Response:
        standard = _unit(service, staff, tenant, REPORT_ROLES)
        found = await asyncio.to_thread(skm_report.report, service.store, tenant, standard.zone,
                                        service.now(), periode)
        return _csv(skm_report.report_csv(found, standard.name),
                    f"skm-{tenant}-{found.period}.csv")

    @get("/personal-data-access.csv", responses=errors(400, 401, 403, 404),
         media_type="text/csv",
         summary="Log akses data pribadi (CSV) / personal-data access log",
         description="Siapa (petugas) membuka data pribadi tiket mana, kapan, dari alamat mana; "
         "untuk laporan kegagalan pelindungan data (UU PDP Pasal 46). Koordinator dan admin / "
         "which staff member opened which ticket's personal data, when, from where.")
    async def access_csv(self, staff: Principal, service: DeskService, tenant: str,
                         since: Since, until: Until = None) -> Response:
        standard = _unit(service, staff, tenant, ACCESS_LOG_ROLES)
        start, end = _span(since, until, standard.zone)
        await of(service).flush()
        stamp = start.astimezone(UTC).strftime("%Y%m%dT%H%M")
        # Streamed a week at a time (the log keeps up to two years): never held whole.
        chunks = access_log.csv_chunks(service.store, tenant, start,
                                       end or service.now() + timedelta(seconds=1), standard.zone)
        return Stream(chunks, media_type="text/csv", headers={
            "Content-Disposition": f'attachment; filename="akses-data-pribadi-{tenant}-{stamp}.csv"',
            "Cache-Control": "no-store"})


def _span(since: str, until: str | None, zone):
    try:
        start = access_log.parse_since(since, zone)
    except ValueError:
        raise refusals.Invalid(f"`since` tidak sah: {since[:40]!r}; gunakan YYYY-MM-DD atau waktu "
                               "ISO 8601 / invalid time", field="since") from None
    try:
        end = access_log.parse_since(until, zone) if until else None
    except ValueError:
        raise refusals.Invalid(f"`until` tidak sah: {until[:40]!r} / invalid time",
                               field="until") from None
    return start, end


CONTROLLERS = [SkmController]

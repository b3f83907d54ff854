"""Desk's HTTP entrypoints for the staff second factor (`totp.py`): a user enrols and confirms
their own factor; an admin requires one in a unit, or clears a user's factor (a lost phone)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Annotated

import msgspec
import pyotp
from litestar import Controller, get, post

from ... import refusals
from ...platform.auth import ALL_UNITS, Principal, authorize, staff_login
from ...platform.http import errors
from ...schemas.events import ONE_LINE
from . import accounts, totp
from .accounts_http import ADMIN, AccountChanged, admin_of, require_scope
from .application import DeskService

ISSUER = "Helpdesk LPSE"
# Any one line: a mistyped code is a wrong code (401, counted), not a malformed request.
Otp = Annotated[str, msgspec.Meta(max_length=20, pattern=ONE_LINE)]
Unit = Annotated[str, msgspec.Meta(pattern=r"^(\*|[a-z][a-z0-9_]{1,31})$")]


class Enrolment(msgspec.Struct, frozen=True, kw_only=True):
    secret: str  # base32, for typing into the app by hand
    otpauth_uri: str  # the same as a link or QR code for the app


class OtpBody(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    otp: Otp


class Enrolled(msgspec.Struct, frozen=True, kw_only=True):
    enrolled: bool


class SecurityBody(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    require_totp: bool


class UnitSecurity(msgspec.Struct, frozen=True, kw_only=True):
    tenant: str
    require_totp: bool  # this unit's own setting; `*` requires it of every unit


def admin_of_unit(service: DeskService, staff: Principal, tenant: str) -> Principal:
    admin = authorize(staff, roles=ADMIN)
    require_scope(admin, tenant, "mengatur")
    if tenant != ALL_UNITS and tenant not in service.standards:
        raise refusals.NotFound(f"Unit `{tenant}` tidak dikenal / unknown unit", field="tenant")
    return admin


class TotpController(Controller):
    guards = [staff_login]
    tags = ["staf"]

    @post("/api/v1/auth/totp/enroll", status_code=200, responses=errors(400, 401, 404, 409),
          summary="Daftarkan OTP (TOTP) / enrol a second factor",
          description="Rahasia baru untuk aplikasi autentikator (base32 dan tautan `otpauth://`), "
          "aktif setelah `confirm`; tampil sekali / a new secret for an authenticator app, "
          "active after `confirm`; shown once.")
    async def totp_enroll(self, staff: Principal, service: DeskService) -> Enrolment:
        secret = await asyncio.to_thread(totp.enroll, service.store, staff.username)
        uri = pyotp.TOTP(secret).provisioning_uri(name=staff.username, issuer_name=ISSUER)
        return Enrolment(secret=secret, otpauth_uri=uri)

    @post("/api/v1/auth/totp/confirm", status_code=200, responses=errors(401, 404, 409),
          summary="Aktifkan OTP (TOTP) / confirm the second factor",
          description="Kode dari aplikasi mengaktifkan rahasia yang didaftarkan; sejak itu login "
          "memerlukan kode / a code from the app activates the enrolled secret; logins need a "
          "code from then on.")
    async def totp_confirm(self, data: OtpBody, staff: Principal,
                           service: DeskService) -> Enrolled:
        await asyncio.to_thread(totp.confirm, service.store, staff.username, data.otp,
                                datetime.now(UTC))
        return Enrolled(enrolled=True)

    @get("/api/v1/units/{tenant:str}/security", responses=errors(401, 403, 404),
         summary="Keamanan login unit / a unit's login rules",
         description="Apakah unit mewajibkan OTP; hanya admin unit itu atau `*` / whether the "
         "unit requires a second factor; its admins or those of every unit only.")
    async def unit_security(self, tenant: Unit, staff: Principal,
                            service: DeskService) -> UnitSecurity:
        admin_of_unit(service, staff, tenant)
        required = await asyncio.to_thread(totp.own_setting, service.store, tenant)
        return UnitSecurity(tenant=tenant, require_totp=required)

    @post("/api/v1/units/{tenant:str}/security", status_code=200,
          responses=errors(401, 403, 404, 409),
          summary="Wajibkan OTP di unit / require a second factor in a unit",
          description="Sejak itu login staf unit (atau semua unit, `*`) memerlukan kode OTP; "
          "token yang ada tidak dicabut / logins of the unit's staff (of every unit for `*`) "
          "need a code from then on; existing tokens are kept.")
    async def set_unit_security(self, tenant: Unit, data: SecurityBody, staff: Principal,
                                service: DeskService) -> UnitSecurity:
        admin = admin_of_unit(service, staff, tenant)
        # An admin without a factor who requires one would lock themselves out at next login.
        enrolled = (await asyncio.to_thread(totp.factor, service.store, admin.username))[0]
        if data.require_totp and not enrolled:
            raise refusals.Conflict("Aktifkan OTP akun Anda sendiri dulu agar tidak terkunci / "
                                    "enrol first", field="require_totp")
        await asyncio.to_thread(totp.set_required, service.store, tenant, data.require_totp)
        return UnitSecurity(tenant=tenant, require_totp=data.require_totp)

    @post("/api/v1/users/{username:str}/reset-totp", status_code=200,
          responses=errors(401, 403, 404, 409),
          summary="Atur ulang OTP staf / clear a staff member's second factor",
          description="Menghapus OTP akun (ponsel hilang) agar bisa mendaftar lagi; token dan "
          "kata sandi tetap / clears the account's factor so it can enrol again; tokens and "
          "password are kept.")
    async def reset_totp(self, username: str, staff: Principal,
                         service: DeskService) -> AccountChanged:
        admin = admin_of(staff)
        account = await asyncio.to_thread(accounts.get_account, service.store, username)
        if not accounts.in_scope(admin.tenant, account.tenant):
            raise accounts.AccountNotFound(username)
        if username == admin.username:  # a stolen session must not swap the factor
            raise refusals.Conflict("OTP akun yang sedang Anda pakai diatur ulang oleh admin "
                                    "lain / not your own")
        await asyncio.to_thread(totp.reset, service.store, username)
        return AccountChanged(account=await asyncio.to_thread(accounts.get_account,
                                                              service.store, username))


CONTROLLERS = [TotpController]

"""The staff second factor: TOTP codes (RFC 6238, 30-second steps, 6 digits) from an app such as
Google Authenticator, and the units whose admins require one.

A user enrols with their own token (`enroll`: a secret kept as pending, shown once), then proves
the app has it (`confirm`: the pending secret becomes the factor). From then on a login needs a
code (`users.authenticate`); so does every login of a unit whose admin requires TOTP, and a user
of such a unit who has not enrolled is refused until an admin lifts the requirement for as long
as it takes them to enrol. An admin's `reset` clears a user's factor (a lost phone).

A code is accepted one step early or late (clock drift), and only once: the step of the last
accepted code is kept and a code of that step or an earlier one is refused (a code seen over a
shoulder or in a proxy log cannot be replayed within its 90 seconds)."""

from __future__ import annotations

import asyncio
import hmac
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

import msgspec
import pyotp
from litestar import Request, get, post
from litestar.exceptions import HTTPException
from litestar.params import FromPath, JSONBody

from ...platform.auth import ALL_UNITS, require_staff, staff_login
from ...platform.store import ServiceStore, Write
from ...schemas.events import ONE_LINE

if TYPE_CHECKING:
    from .application import DeskService

ISSUER = "Helpdesk LPSE"
DRIFT = 1  # steps either side of now: pyotp's `valid_window=1`
# Any one line: a mistyped code is a wrong code (401, counted), not a malformed request.
Otp = Annotated[str, msgspec.Meta(max_length=20, pattern=ONE_LINE)]
Unit = Annotated[str, msgspec.Meta(pattern=r"^(\*|[a-z][a-z0-9_]{1,31})$")]


class TotpError(ValueError):
    """An enrolment that cannot go on: `status` is the API's answer."""

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


def accepted_step(secret: str, otp: str, last_step: int, now: datetime) -> int | None:
    """The step whose code `otp` is, within DRIFT of now and after `last_step`; None if none."""
    otp = "".join(otp.split())
    if not secret or len(otp) != 6 or not (otp.isascii() and otp.isdigit()):
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in range(current - DRIFT, current + DRIFT + 1):
        if step > last_step and hmac.compare_digest(totp.generate_otp(step), otp):
            return step
    return None


def unit_requires(store: ServiceStore, tenant: str) -> bool:
    """Whether logins of `tenant` need a code: its own setting, or that of every unit (`*`)."""
    rows = store.query(f"SELECT 1 FROM {store.prefix}_unit_security WHERE require_totp = 1"
                       " AND tenant IN (?, ?)", (tenant, ALL_UNITS))
    return bool(rows)


def own_setting(store: ServiceStore, tenant: str) -> bool:
    rows = store.query(f"SELECT require_totp FROM {store.prefix}_unit_security WHERE tenant = ?",
                       (tenant,))
    return bool(rows and rows[0][0])


def set_required(store: ServiceStore, tenant: str, required: bool) -> None:
    store.execute([Write(
        f"INSERT INTO {store.prefix}_unit_security (tenant, require_totp) VALUES (?, ?)"
        " ON CONFLICT (tenant) DO UPDATE SET require_totp = excluded.require_totp",
        (tenant, int(required)))])


def _factor(store: ServiceStore, username: str) -> tuple[str, str]:
    rows = store.query(f"SELECT totp_secret, totp_pending FROM {store.prefix}_users"
                       " WHERE username = ?", (username,))
    if not rows:
        raise TotpError("akun tidak ditemukan", 404)
    return rows[0]


def enroll(store: ServiceStore, username: str) -> str:
    """A new pending secret. An enrolled factor is changed only after an admin's reset, so a
    stolen session cannot swap in a factor of its own."""
    secret, _ = _factor(store, username)
    if secret:
        raise TotpError("OTP sudah aktif untuk akun ini; minta admin mengatur ulang OTP untuk "
                        "mendaftar perangkat baru", 409)
    pending = pyotp.random_base32()
    store.execute([Write(f"UPDATE {store.prefix}_users SET totp_pending = ? WHERE username = ?",
                         (pending, username))])
    return pending


def confirm(store: ServiceStore, username: str, otp: str, now: datetime) -> None:
    secret, pending = _factor(store, username)
    if secret or not pending:
        raise TotpError("tidak ada pendaftaran OTP yang menunggu; mulai dari `enroll`", 409)
    step = accepted_step(pending, otp, 0, now)
    if step is None:
        raise TotpError("kode OTP salah; periksa jam ponsel dan coba kode berikutnya", 400)
    store.execute([Write(f"UPDATE {store.prefix}_users SET totp_secret = totp_pending,"
                         " totp_pending = '', totp_step = ? WHERE username = ?", (step, username))])


def reset(store: ServiceStore, username: str) -> None:
    store.execute([Write(f"UPDATE {store.prefix}_users SET totp_secret = '', totp_pending = '',"
                         " totp_step = 0 WHERE username = ?", (username,))])


# --- HTTP ------------------------------------------------------------------------------------

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


def routes(service: DeskService) -> list:
    # Here, not at the top: accounts_http imports the application, which imports users, which
    # imports this module.
    from . import accounts
    from .accounts_http import ADMIN, AccountChanged, require_scope

    store = service.store

    def refused(exc: TotpError) -> HTTPException:
        return HTTPException(status_code=exc.status, detail=str(exc), extra={"field": "otp"})

    @post("/api/v1/auth/totp/enroll", guards=[staff_login], tags=["staf"], status_code=200,
          summary="Daftarkan OTP (TOTP) / enrol a second factor",
          description="Rahasia baru untuk aplikasi autentikator (base32 dan tautan `otpauth://`), "
          "aktif setelah `confirm`; tampil sekali / a new secret for an authenticator app, "
          "active after `confirm`; shown once.")
    async def totp_enroll(request: Request) -> Enrolment:
        staff = require_staff(request, service.signer)
        try:
            secret = await asyncio.to_thread(enroll, store, staff.username)
        except TotpError as exc:
            raise refused(exc) from None
        uri = pyotp.TOTP(secret).provisioning_uri(name=staff.username, issuer_name=ISSUER)
        return Enrolment(secret=secret, otpauth_uri=uri)

    @post("/api/v1/auth/totp/confirm", guards=[staff_login], tags=["staf"], status_code=200,
          summary="Aktifkan OTP (TOTP) / confirm the second factor",
          description="Kode dari aplikasi mengaktifkan rahasia yang didaftarkan; sejak itu login "
          "memerlukan kode / a code from the app activates the enrolled secret; logins need a "
          "code from then on.")
    async def totp_confirm(request: Request, data: JSONBody[OtpBody]) -> Enrolled:
        staff = require_staff(request, service.signer)
        try:
            await asyncio.to_thread(confirm, store, staff.username, data.otp, datetime.now(UTC))
        except TotpError as exc:
            raise refused(exc) from None
        return Enrolled(enrolled=True)

    def admin_of_unit(request: Request, tenant: str):
        admin = require_staff(request, service.signer, roles=ADMIN)
        require_scope(admin, tenant, "mengatur")
        if tenant != ALL_UNITS and tenant not in service.standards:
            raise HTTPException(status_code=404, extra={"field": "tenant"},
                                detail=f"Unit `{tenant}` tidak dikenal / unknown unit")
        return admin

    @get("/api/v1/units/{tenant:str}/security", guards=[staff_login], tags=["staf"],
         summary="Keamanan login unit / a unit's login rules",
         description="Apakah unit mewajibkan OTP; hanya admin unit itu atau `*` / whether the "
         "unit requires a second factor; its admins or those of every unit only.")
    async def unit_security(request: Request, tenant: FromPath[Unit]) -> UnitSecurity:
        admin_of_unit(request, tenant)
        required = await asyncio.to_thread(own_setting, store, tenant)
        return UnitSecurity(tenant=tenant, require_totp=required)

    @post("/api/v1/units/{tenant:str}/security", guards=[staff_login], tags=["staf"],
          status_code=200, summary="Wajibkan OTP di unit / require a second factor in a unit",
          description="Sejak itu login staf unit (atau semua unit, `*`) memerlukan kode OTP; "
          "token yang ada tidak dicabut / logins of the unit's staff (of every unit for `*`) "
          "need a code from then on; existing tokens are kept.")
    async def set_unit_security(request: Request, tenant: FromPath[Unit],
                                data: JSONBody[SecurityBody]) -> UnitSecurity:
        admin = admin_of_unit(request, tenant)
        # An admin without a factor who requires one would lock themselves out at next login.
        if data.require_totp and not (await asyncio.to_thread(_factor, store, admin.username))[0]:
            raise HTTPException(status_code=409, extra={"field": "require_totp"}, detail=(
                "Aktifkan OTP akun Anda sendiri dulu agar tidak terkunci / enrol first"))
        await asyncio.to_thread(set_required, store, tenant, data.require_totp)
        return UnitSecurity(tenant=tenant, require_totp=data.require_totp)

    @post("/api/v1/users/{username:str}/reset-totp", guards=[staff_login], tags=["staf"],
          status_code=200, signature_namespace={"AccountChanged": AccountChanged},
          summary="Atur ulang OTP staf / clear a staff member's second factor",
          description="Menghapus OTP akun (ponsel hilang) agar bisa mendaftar lagi; token dan "
          "kata sandi tetap / clears the account's factor so it can enrol again; tokens and "
          "password are kept.")
    async def reset_totp(request: Request, username: FromPath[str]) -> AccountChanged:
        admin = require_staff(request, service.signer, roles=ADMIN)
        try:
            account = await asyncio.to_thread(accounts.get_account, store, username)
        except accounts.AccountNotFound:
            account = None
        if account is None or not accounts.in_scope(admin.tenant, account.tenant):
            raise HTTPException(status_code=404, extra={"field": "username"},
                                detail=f"Pengguna `{username}` tidak ditemukan / not found")
        if username == admin.username:  # a stolen session must not swap the factor
            raise HTTPException(status_code=409, detail=(
                "OTP akun yang sedang Anda pakai diatur ulang oleh admin lain / not your own"))
        await asyncio.to_thread(reset, store, username)
        return AccountChanged(account=await asyncio.to_thread(accounts.get_account, store,
                                                              username))

    return [totp_enroll, totp_confirm, unit_security, set_unit_security, reset_totp]

"""A staff member's own personal data (UU PDP), for admins: what the helpdesk holds about an
account (`GET /api/v1/personal-data/staff/{username}`) and its erasure (`POST
.../{username}/erase`). The admin page (`/staf/data-pribadi`) calls these; `lpse-helpdesk
personal-data erase-staff` is the operator's way to the same deletion.

Erased: the account row (display name, password hash, TOTP secrets, login times), with secure
delete and the WAL checkpointed (privacy_wipe.py); its tokens are voided everywhere. Kept: the
username where it records who acted (ticket histories, the personal-data access log): the
legal record of a public service (docs/privacy.md, "Staff accounts"). An admin may not erase
their own account, nor the last active admin of a unit.
"""

from __future__ import annotations

import asyncio
from typing import Any

import msgspec
from litestar import Controller, post
from litestar import get as get_route
from litestar.di import Provide

from ... import refusals
from ...platform import privacy_wipe
from ...platform.auth import Principal, staff_login
from ...platform.http import errors, service_routes
from ...platform.store import ServiceStore
from . import accounts
from .accounts_http import admin_of, managed
from .application import DeskService

ACCESS_ROWS = 10_000  # an export lists at most this many of the account's access-log rows
KEPT = ("Nama pengguna tetap tercatat di riwayat tiket dan log akses data pribadi sebagai "
        "catatan siapa bertindak (log akses dihapus setelah 2 tahun) / the username stays in "
        "ticket histories and the access log as the record of who acted.")


class StaffErasure(msgspec.Struct, frozen=True, kw_only=True):
    username: str
    tokens_revoked: bool
    kept: str = KEPT


def export(store: ServiceStore, username: str) -> dict[str, Any]:
    """The account as stored (never its password hash or TOTP secret: credentials, not data
    about the person), and the personal-data access log's rows of its actions."""
    account = accounts.get_account(store, username)
    [(display_name,)] = store.query(
        f"SELECT display_name FROM {store.prefix}_users WHERE username = ?", (username,))
    try:
        rows = store.query(f"SELECT at, tenant, number, action, address FROM {store.prefix}"
                           f"_personal_access WHERE username = ? ORDER BY at LIMIT ?",
                           (username, ACCESS_ROWS))
    except Exception:  # noqa: BLE001 - no access log in this store
        rows = []
    return {"nama_pengguna": account.username, "nama_tampilan": display_name,
            "peran": account.role, "unit": account.tenant, "keadaan": account.state,
            "dibuat": account.created_at, "login_terakhir": account.last_login,
            "verifikasi_dua_langkah": account.totp,
            "log_akses": [dict(zip(("waktu", "unit", "nomor", "akses", "alamat"), r))
                          for r in rows],
            "disimpan_setelah_dihapus": KEPT}


def refuse_last_admin(store: ServiceStore, account: accounts.Account) -> None:
    """An admin account goes only while its unit keeps another active admin of its own (for
    an admin of every unit: another one of those), so no unit is left to be managed only
    from outside it. An admin of every unit who erases a unit's last admin is refused too."""
    if account.role != "admin":
        return
    [(others,)] = store.query(
        f"SELECT COUNT(*) FROM {store.prefix}_users WHERE role = 'admin' AND disabled = 0"
        " AND username <> ? AND tenant = ?", (account.username, account.tenant))
    if not others:
        raise refusals.Conflict(
            f"`{account.username}` adalah admin aktif terakhir unit {account.tenant}: buat "
            "atau aktifkan admin lain di unit itu dulu / the unit's last active admin",
            field="username")


def erase(store: ServiceStore, account: accounts.Account, now: float) -> float:
    refuse_last_admin(store, account)
    since = accounts.delete(store, account.username, now)
    privacy_wipe.wipe_soon(store)  # no page copy of the row left in the WAL
    return since


class StaffPrivacyController(Controller):
    path = "/api/v1/personal-data/staff"
    guards = [staff_login]
    tags = ["staf"]
    dependencies = {"admin": Provide(admin_of, sync_to_thread=False)}

    @get_route("/{username:str}", responses=errors(401, 403, 404),
               summary="Ekspor data pribadi akun staf / export a staff account's personal data",
               description="Akun (nama tampilan, peran, unit, keadaan, login terakhir, apakah "
               "verifikasi dua langkah aktif) dan log akses data pribadinya; hanya admin unit "
               "akun itu / the account and its access-log rows; admins of its unit only.")
    async def export_staff(self, username: str, admin: Principal,
                           service: DeskService) -> dict[str, Any]:
        await managed(service, admin, username, "export")
        return await asyncio.to_thread(export, service.store, username)

    @post("/{username:str}/erase", status_code=200, responses=errors(401, 403, 404, 409),
          summary="Hapus data pribadi akun staf / erase a staff account's personal data",
          description="Akun dihapus (nama tampilan, hash kata sandi, rahasia TOTP) tanpa sisa "
          "di berkas data, tokennya ditolak di semua layanan; nama penggunanya tetap di riwayat "
          "tiket dan log akses. Ditolak untuk akun sendiri dan admin aktif terakhir unitnya / "
          "the account is deleted leaving no byte in the data files, its tokens refused "
          "everywhere; refused for one's own account and for the unit's last active admin.")
    async def erase_staff(self, username: str, admin: Principal,
                          service: DeskService) -> StaffErasure:
        account = await managed(service, admin, username, "delete")
        since = await asyncio.to_thread(erase, service.store, account, service.clock())
        await service.revoke(username, since)
        return StaffErasure(username=username, tokens_revoked=True)


def routes(service: DeskService) -> list:
    return [service_routes(service, StaffPrivacyController)]

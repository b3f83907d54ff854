"""Desk's HTTP entrypoints for staff accounts, for admins (role `admin`): list, create, disable,
enable, unlock, reset the password, delete. An admin of every unit (`*`) manages every account;
a unit's admin that unit's. The admin page (`/staf/pengguna`) calls these."""

from __future__ import annotations

import asyncio
from typing import Annotated

import msgspec
from litestar import Controller, Request, Response, delete, get, post
from litestar.di import Provide

from ... import refusals
from ...platform import paging
from ...platform.auth import Principal, StaffRole, authorize, staff_login
from ...platform.http import errors
from ...schemas.events import ONE_LINE
from . import accounts, users
from .accounts import Account, AccountNotFound
from .application import DeskService

ADMIN = ("admin",)
UnitOrAll = Annotated[str, msgspec.Meta(pattern=r"^(\*|[a-z][a-z0-9_]{1,31})$")]
Password = Annotated[str, msgspec.Meta(max_length=200, pattern=ONE_LINE)]


class NewAccount(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    username: Annotated[str, msgspec.Meta(pattern=users.USERNAME.pattern)]
    role: StaffRole
    tenant: UnitOrAll
    # What reporters see; empty: the role's name (e.g. "Petugas Helpdesk").
    display_name: Annotated[str, msgspec.Meta(max_length=80, pattern=ONE_LINE)] = ""
    password: Password = ""  # empty: one is generated and returned once


class NewPassword(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    password: Password = ""  # empty: one is generated and returned once


class AccountChanged(msgspec.Struct, frozen=True, kw_only=True):
    account: Account | None  # None once deleted
    # A generated password, in this answer only: nothing keeps it.
    password: str = ""
    # Whether the account's earlier tokens were voided (disable, reset, delete).
    tokens_revoked: bool = False


def require_scope(admin: Principal, tenant: str, verb: str) -> None:
    """403 unless `admin` manages `tenant` (their own unit, or every unit for `*`)."""
    if not accounts.in_scope(admin.tenant, tenant):
        raise refusals.Forbidden(f"Admin unit `{admin.tenant}` hanya {verb} unitnya / own unit "
                                 "only", field="tenant")


def admin_of(staff: Principal) -> Principal:
    """The `admin` dependency: the logged-in staff member, if an admin."""
    return authorize(staff, roles=ADMIN)


async def managed(service: DeskService, admin: Principal, username: str, change: str) -> Account:
    """The account, if this admin manages it; another unit's is as unknown as a missing one.
    Nobody disables, resets or deletes the account they are using."""
    account = await asyncio.to_thread(accounts.get_account, service.store, username)
    if not accounts.in_scope(admin.tenant, account.tenant):
        raise AccountNotFound(username)
    if username == admin.username and change in ("disable", "reset-password", "delete"):
        raise refusals.Conflict("Akun yang sedang Anda pakai tidak bisa diubah di sini; minta "
                                "admin lain / not on your own account")
    return account


async def changed(service: DeskService, username: str, since: float | None, password: str = "",
                  gone: bool = False) -> AccountChanged:
    """The answer to a change: the account as it is now, and whether its tokens were voided
    (everywhere, through NATS: `DeskService.revoke`)."""
    if since is not None:
        await service.revoke(username, since)
    account = None if gone else await asyncio.to_thread(accounts.get_account, service.store,
                                                        username)
    return AccountChanged(account=account, password=password, tokens_revoked=since is not None)


def _change(action: str, summary: str, description: str, change):
    """A route that applies `change(service, username)`, which returns since when the
    account's tokens are void (or None)."""

    async def handler(self, username: str, admin: Principal, service: DeskService):
        await managed(service, admin, username, action)
        since = await asyncio.to_thread(change, service, username)
        return await changed(service, username, since)

    handler.__name__ = f"user_{action.replace('-', '_')}"
    handler.__annotations__ = {"username": str, "admin": Principal, "service": DeskService,
                               "return": AccountChanged}
    return post(f"/{{username:str}}/{action}", status_code=200, summary=summary,
                description=description, responses=errors(*CHANGE_ERRORS[action]))(handler)


CHANGE_ERRORS = {"disable": (401, 403, 404, 409), "enable": (401, 403, 404),
                 "unlock": (401, 403, 404)}


class AccountsController(Controller):
    path = "/api/v1/users"
    guards = [staff_login]
    tags = ["staf"]
    dependencies = {"admin": Provide(admin_of, sync_to_thread=False)}

    @get("/", summary="Daftar akun staf / list staff accounts", responses=errors(400, 401, 403),
         description="Akun staf dengan nama tampilan, peran, unit, keadaan (aktif, nonaktif, "
         "terkunci) dan login terakhir, urut unit lalu nama pengguna; hanya admin, untuk "
         "unitnya / staff accounts with display name, role, unit, state and last login, by "
         "unit and username; admins only, for their unit. " + paging.PAGED_DOC,
         response_headers=paging.RESPONSE_HEADERS)
    async def list_users(self, request: Request, admin: Principal, service: DeskService,
                         tenant: str | None = None, after: paging.After = None,
                         limit: paging.Limit = paging.DEFAULT_LIMIT) -> Response[list[Account]]:
        if tenant:
            require_scope(admin, tenant, "melihat akun")
        wanted = tenant or (None if admin.tenant == "*" else admin.tenant)
        return paging.respond(request, await asyncio.to_thread(
            accounts.accounts_page, service.store, wanted, after, limit))

    @post("/", status_code=201, summary="Buat akun staf / create a staff account",
          responses=errors(401, 403, 409),
          description="Akun baru di unit admin; tanpa `password` dibuatkan kata sandi acak yang "
          "hanya tampil di jawaban ini / a new account in the admin's unit; without `password` "
          "a random one is made and shown in this answer only.")
    async def create_user(self, data: NewAccount, admin: Principal,
                          service: DeskService) -> AccountChanged:
        require_scope(admin, data.tenant, "membuat akun")
        password = data.password or accounts.generated_password()
        await asyncio.to_thread(users.add_user, service.store, service.standards, data.tenant,
                                data.username, data.role, password, data.display_name)
        return await changed(service, data.username, None, "" if data.password else password)

    disable = _change(
        "disable", "Nonaktifkan akun staf / disable a staff account",
        "Akun tidak bisa login lagi dan tokennya yang ada langsung ditolak di semua layanan / "
        "the account can no longer log in and its existing tokens are refused at once, "
        "everywhere.",
        lambda service, username: accounts.set_disabled(service.store, username, True,
                                                        service.clock()))
    enable = _change(
        "enable", "Aktifkan lagi akun staf / enable a staff account",
        "Akun yang dinonaktifkan bisa login lagi / a disabled account may log in again.",
        lambda service, username: accounts.set_disabled(service.store, username, False,
                                                        service.clock()))
    unlock = _change(
        "unlock", "Buka kunci akun staf / unlock a staff account",
        "Menghapus penguncian setelah login gagal berulang / lifts the lock-out after "
        "repeated failed logins.",
        lambda service, username: accounts.unlock(service.store, username))

    @post("/{username:str}/reset-password", status_code=200,
          summary="Atur ulang kata sandi staf / reset a staff password",
          responses=errors(401, 403, 404, 409),
          description="Kata sandi baru (atau acak, tampil sekali di jawaban ini); token lama "
          "akun itu langsung ditolak / a new password (or a random one, shown once in this "
          "answer); the account's existing tokens are refused at once.")
    async def reset_password(self, username: str, data: NewPassword, admin: Principal,
                             service: DeskService) -> AccountChanged:
        await managed(service, admin, username, "reset-password")
        password = data.password or accounts.generated_password()
        since = await asyncio.to_thread(accounts.reset_password, service.store, username,
                                        password, service.clock())
        return await changed(service, username, since, "" if data.password else password)

    @delete("/{username:str}", status_code=200, summary="Hapus akun staf / delete a staff account",
            responses=errors(401, 403, 404, 409),
            description="Akun dihapus dan tokennya yang ada langsung ditolak; riwayat tiket "
            "tetap menyebut namanya / the account is deleted and its existing tokens are "
            "refused at once; ticket histories keep its name.")
    async def delete_user(self, username: str, admin: Principal,
                          service: DeskService) -> AccountChanged:
        await managed(service, admin, username, "delete")
        since = await asyncio.to_thread(accounts.delete, service.store, username, service.clock())
        return await changed(service, username, since, gone=True)


CONTROLLERS = [AccountsController]

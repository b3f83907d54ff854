"""Desk's HTTP entrypoints for staff accounts, for admins (role `admin`): list, create, disable,
enable, unlock, reset the password, delete. An admin of every unit (`*`) manages every account;
a unit's admin that unit's. The admin page (`/staf/pengguna`) calls these."""

from __future__ import annotations

import asyncio
from typing import Annotated

import msgspec
from litestar import Request, delete, get, post
from litestar.exceptions import HTTPException
from litestar.params import FromPath, FromQuery, JSONBody

from ...platform.auth import Principal, StaffRole, require_staff, staff_login
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


def refused(exc: users.UserError) -> HTTPException:
    return HTTPException(status_code=409 if isinstance(exc, users.UserExists) else 400,
                         detail=str(exc), extra={"field": exc.field})


def require_scope(admin: Principal, tenant: str, verb: str) -> None:
    """403 unless `admin` manages `tenant` (their own unit, or every unit for `*`)."""
    if not accounts.in_scope(admin.tenant, tenant):
        raise HTTPException(status_code=403, extra={"field": "tenant"}, detail=(
            f"Admin unit `{admin.tenant}` hanya {verb} unitnya / own unit only"))


def routes(service: DeskService) -> list:
    store = service.store

    def admin_of(request: Request) -> Principal:
        return require_staff(request, service.signer, roles=ADMIN)

    def not_found(username: str) -> HTTPException:
        return HTTPException(status_code=404, extra={"field": "username"},
                             detail=f"Pengguna `{username}` tidak ditemukan / not found")

    async def managed(admin: Principal, username: str, change: str) -> Account:
        """The account, if this admin manages it; another unit's is as unknown as a missing
        one. Nobody disables, resets or deletes the account they are using."""
        try:
            account = await asyncio.to_thread(accounts.get_account, store, username)
        except AccountNotFound:
            account = None
        if account is None or not accounts.in_scope(admin.tenant, account.tenant):
            raise not_found(username)
        if username == admin.username and change in ("disable", "reset-password", "delete"):
            raise HTTPException(status_code=409, detail=(
                "Akun yang sedang Anda pakai tidak bisa diubah di sini; minta admin lain / "
                "not on your own account"))
        return account

    async def changed(username: str, since: float | None, password: str = "",
                      gone: bool = False) -> AccountChanged:
        if since is not None:
            await service.revoke(username, since)
        try:
            account = None if gone else await asyncio.to_thread(accounts.get_account, store,
                                                                username)
        except AccountNotFound:  # deleted meanwhile by another admin
            raise not_found(username) from None
        return AccountChanged(account=account, password=password, tokens_revoked=since is not None)

    @get("/api/v1/users", guards=[staff_login], tags=["staf"],
         summary="Daftar akun staf / list staff accounts",
         description="Akun staf dengan nama tampilan, peran, unit, keadaan (aktif, nonaktif, "
         "terkunci) dan login terakhir; hanya admin, untuk unitnya / staff accounts with "
         "display name, role, unit, state and last login; admins only, for their unit.")
    async def list_users(request: Request, tenant: FromQuery[str | None] = None) -> list[Account]:
        admin = admin_of(request)
        if tenant:
            require_scope(admin, tenant, "melihat akun")
        wanted = tenant or (None if admin.tenant == "*" else admin.tenant)
        return await asyncio.to_thread(accounts.list_accounts, store, wanted)

    @post("/api/v1/users", guards=[staff_login], tags=["staf"], status_code=201,
          summary="Buat akun staf / create a staff account",
          description="Akun baru di unit admin; tanpa `password` dibuatkan kata sandi acak yang "
          "hanya tampil di jawaban ini / a new account in the admin's unit; without `password` "
          "a random one is made and shown in this answer only.")
    async def create_user(request: Request, data: JSONBody[NewAccount]) -> AccountChanged:
        admin = admin_of(request)
        require_scope(admin, data.tenant, "membuat akun")
        password = data.password or accounts.generated_password()
        try:
            await asyncio.to_thread(users.add_user, store, service.standards, data.tenant,
                                    data.username, data.role, password, data.display_name)
        except users.UserError as exc:
            raise refused(exc) from None
        return await changed(data.username, None, "" if data.password else password)

    def change_route(action: str, summary: str, description: str, change):
        async def handler(request: Request, username: str) -> AccountChanged:
            admin = admin_of(request)
            await managed(admin, username, action)
            try:
                since = await asyncio.to_thread(change, username)
            except AccountNotFound:
                raise not_found(username) from None
            return await changed(username, since)

        handler.__name__ = f"user_{action}"
        handler.__annotations__ = {"request": Request, "username": FromPath[str],
                                   "return": AccountChanged}
        return post(f"/api/v1/users/{{username:str}}/{action}", guards=[staff_login],
                    tags=["staf"], status_code=200, summary=summary,
                    description=description)(handler)

    disable = change_route(
        "disable", "Nonaktifkan akun staf / disable a staff account",
        "Akun tidak bisa login lagi dan tokennya yang ada langsung ditolak di semua layanan / "
        "the account can no longer log in and its existing tokens are refused at once, "
        "everywhere.",
        lambda username: accounts.set_disabled(store, username, True, service.clock()))
    enable = change_route(
        "enable", "Aktifkan lagi akun staf / enable a staff account",
        "Akun yang dinonaktifkan bisa login lagi / a disabled account may log in again.",
        lambda username: accounts.set_disabled(store, username, False, service.clock()))
    unlock = change_route(
        "unlock", "Buka kunci akun staf / unlock a staff account",
        "Menghapus penguncian setelah login gagal berulang / lifts the lock-out after "
        "repeated failed logins.",
        lambda username: accounts.unlock(store, username))

    @post("/api/v1/users/{username:str}/reset-password", guards=[staff_login], tags=["staf"],
          status_code=200, summary="Atur ulang kata sandi staf / reset a staff password",
          description="Kata sandi baru (atau acak, tampil sekali di jawaban ini); token lama "
          "akun itu langsung ditolak / a new password (or a random one, shown once in this "
          "answer); the account's existing tokens are refused at once.")
    async def reset_password(request: Request, username: FromPath[str],
                             data: JSONBody[NewPassword]) -> AccountChanged:
        admin = admin_of(request)
        await managed(admin, username, "reset-password")
        password = data.password or accounts.generated_password()
        try:
            since = await asyncio.to_thread(accounts.reset_password, store, username, password,
                                            service.clock())
        except users.UserError as exc:
            raise refused(exc) from None
        except AccountNotFound:
            raise not_found(username) from None
        return await changed(username, since, "" if data.password else password)

    @delete("/api/v1/users/{username:str}", guards=[staff_login], tags=["staf"], status_code=200,
            summary="Hapus akun staf / delete a staff account",
            description="Akun dihapus dan tokennya yang ada langsung ditolak; riwayat tiket "
            "tetap menyebut namanya / the account is deleted and its existing tokens are "
            "refused at once; ticket histories keep its name.")
    async def delete_user(request: Request, username: FromPath[str]) -> AccountChanged:
        admin = admin_of(request)
        await managed(admin, username, "delete")
        try:
            since = await asyncio.to_thread(accounts.delete, store, username, service.clock())
        except AccountNotFound:
            raise not_found(username) from None
        return await changed(username, since, gone=True)

    return [list_users, create_user, disable, enable, unlock, reset_password, delete_user]

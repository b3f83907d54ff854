"""Staff accounts as an admin manages them (list, disable, enable, unlock, reset the password,
delete), the tokens those changes void, and the names reporters see instead of usernames.

Disabling, resetting and deleting void the tokens the account already holds: a row of
`{p}_revocations` is written in the same transaction as the change, then sent to every process
through NATS (`platform/revocations.py`) by whoever made the change, or else by the desk's relay
(`DeskService.relay_revocations`), e.g. after a `users` command that could not reach NATS.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Literal

import msgspec

from ... import refusals
from ...platform import paging
from ...platform.auth import ALL_UNITS, StaffRole, hash_password
from ...platform.revocations import millis
from ...platform.store import ServiceStore, Write
from .users import check_password

# What reporters see of a staff member who has no display name of their own.
ROLE_NAMES = {"helpdesk": "Petugas Helpdesk", "koordinator": "Koordinator Helpdesk",
              "admin_ppe": "Admin PPE", "lkpp": "Helpdesk LKPP", "kepala_unit": "Kepala Unit",
              "admin": "Administrator Helpdesk"}
STAFF_NAME = "Petugas Helpdesk"  # an account deleted since, or a role without a name here
# Where staff usernames appear in a ticket's events besides `actor.id`.
USERNAME_FIELDS = ("assignee", "logged_by")
COLUMNS = ("username, display_name, role, tenant, disabled, locked_until, last_login, created_at,"
           " totp_secret <> ''")


class Account(msgspec.Struct, frozen=True, kw_only=True):
    """A staff account as admins see it: never its password hash."""

    username: str
    display_name: str  # what reporters see; the role's name when none was given
    role: StaffRole
    tenant: str  # the unit, or "*" for an admin of every unit
    state: Literal["aktif", "nonaktif", "terkunci"]
    locked_until: str | None = None  # UTC, while `terkunci`
    last_login: str | None = None  # UTC
    created_at: str
    totp: bool = False  # whether a second factor is active (`totp.py`); never the secret


class AccountNotFound(refusals.NotFound, LookupError):
    def __init__(self, username: str):
        super().__init__(f"Pengguna `{username}` tidak ditemukan / not found", field="username")
        self.args = (username,)


def name_of(display_name: str, role: str) -> str:
    return display_name or ROLE_NAMES.get(role, STAFF_NAME)


def _moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text).astimezone(UTC) if text else None


def _account(row: tuple, now: datetime) -> Account:
    username, display_name, role, tenant, disabled, locked_until, last_login, created_at, otp = row
    locked = _moment(locked_until)
    state = "nonaktif" if disabled else "terkunci" if locked and locked > now else "aktif"
    return Account(username=username, display_name=name_of(display_name, role), role=role,
                   tenant=tenant, state=state,
                   locked_until=locked.isoformat() if state == "terkunci" else None,
                   last_login=last_login, created_at=created_at, totp=bool(otp))


def list_accounts(store: ServiceStore, tenant: str | None = None) -> list[Account]:
    """Every account, or those of one unit (`*` lists the admins of every unit)."""
    now = datetime.now(UTC)
    where, params = ("WHERE tenant = ?", (tenant,)) if tenant else ("", ())
    rows = store.query(f"SELECT {COLUMNS} FROM {store.prefix}_users {where}"
                       " ORDER BY tenant, username", params)
    return [_account(row, now) for row in rows]


def accounts_page(store: ServiceStore, tenant: str | None, after: str | None,
                  limit: int) -> paging.Page[Account]:
    """A page of `list_accounts`, in its order (the username is unique)."""
    condition, params, order = paging.keyset(("tenant", "username"), after)
    if tenant:
        condition, params = f"tenant = ? AND {condition}", [tenant, *params]
    rows = store.query(f"SELECT {COLUMNS} FROM {store.prefix}_users WHERE {condition}"
                       f" ORDER BY {order} LIMIT ?", (*params, paging.check_limit(limit) + 1))
    now = datetime.now(UTC)
    return paging.page_from_rows([_account(row, now) for row in rows],
                                 lambda a: (a.tenant, a.username), limit)


def get_account(store: ServiceStore, username: str) -> Account:
    rows = store.query(f"SELECT {COLUMNS} FROM {store.prefix}_users WHERE username = ?",
                       (username,))
    if not rows:
        raise AccountNotFound(username)
    return _account(rows[0], datetime.now(UTC))


def in_scope(admin_tenant: str, account_tenant: str) -> bool:
    """An admin of every unit manages every account; a unit's admin only that unit's."""
    return admin_tenant == ALL_UNITS or admin_tenant == account_tenant


def generated_password() -> str:
    return secrets.token_urlsafe(12)  # 16 characters, 96 bits


# --- changes --------------------------------------------------------------------------------
# Each returns the moment (unix seconds) before which the account's tokens are now void, or None
# when the change voids none; it raises AccountNotFound for an unknown username.

def set_disabled(store: ServiceStore, username: str, disabled: bool,
                 now: float) -> float | None:
    get_account(store, username)
    writes = [Write(f"UPDATE {store.prefix}_users SET disabled = ? WHERE username = ?",
                    (int(disabled), username))]
    if disabled:
        writes.append(_revocation(store, username, now))
    store.execute(writes)
    return now if disabled else None


def unlock(store: ServiceStore, username: str) -> None:
    get_account(store, username)
    store.execute([Write(f"UPDATE {store.prefix}_users SET failed_attempts = 0,"
                         " locked_until = NULL WHERE username = ?", (username,))])


def reset_password(store: ServiceStore, username: str, password: str, now: float) -> float:
    """A new password (the lock-out is lifted with it); the old one's tokens are void."""
    check_password(password)
    get_account(store, username)
    store.execute([
        Write(f"UPDATE {store.prefix}_users SET password_hash = ?, failed_attempts = 0,"
              " locked_until = NULL WHERE username = ?", (hash_password(password), username)),
        _revocation(store, username, now)])
    return now


def delete(store: ServiceStore, username: str, now: float) -> float:
    get_account(store, username)
    store.execute([Write(f"DELETE FROM {store.prefix}_users WHERE username = ?", (username,)),
                   _revocation(store, username, now)])
    return now


# --- revocations not yet sent to NATS -------------------------------------------------------

def _revocation(store: ServiceStore, username: str, now: float) -> Write:
    return Write(
        f"INSERT INTO {store.prefix}_revocations (username, not_before, published)"
        " VALUES (?, ?, 0) ON CONFLICT (username) DO UPDATE SET"
        " not_before = excluded.not_before, published = 0", (username, millis(now)))


def unpublished(store: ServiceStore) -> list[tuple[str, float]]:
    rows = store.query(f"SELECT username, not_before FROM {store.prefix}_revocations"
                       " WHERE published < not_before")
    return [(username, int(ms) / 1000) for username, ms in rows]


def mark_published(store: ServiceStore, username: str, since: float) -> None:
    store.execute([Write(f"UPDATE {store.prefix}_revocations SET published = not_before"
                         " WHERE username = ? AND not_before = ?", (username, millis(since)))])


# --- what reporters see ---------------------------------------------------------------------

def display_names(store: ServiceStore, usernames: Iterable[str]) -> dict[str, str]:
    wanted = sorted(set(usernames))
    if not wanted:
        return {}
    marks = ", ".join("?" * len(wanted))
    rows = store.query(f"SELECT username, display_name, role FROM {store.prefix}_users"
                       f" WHERE username IN ({marks})", wanted)
    return {username: name_of(display_name, role) for username, display_name, role in rows}


def _staff_actor(event: dict) -> dict | None:
    actor = event.get("actor")
    return actor if isinstance(actor, dict) and actor.get("role") not in (
        None, "reporter", "system") else None


def hide_usernames(store: ServiceStore, timeline: list) -> None:
    """Replace staff usernames in a reporter's timeline with display names, in place: a
    username is half of a login, and reporters need only know who answered them."""
    events = [entry.event for entry in timeline]
    usernames = {actor["id"] for e in events if (actor := _staff_actor(e))}
    usernames |= {e[f] for e in events for f in USERNAME_FIELDS if e.get(f)}
    names = display_names(store, usernames)
    for event in events:
        if actor := _staff_actor(event):
            event["actor"] = {**actor, "id": names.get(actor["id"])
                              or ROLE_NAMES.get(actor["role"], STAFF_NAME)}
        for field in USERNAME_FIELDS:
            if event.get(field):
                event[field] = names.get(event[field], STAFF_NAME)

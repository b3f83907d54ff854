"""Staff accounts of the desk: argon2 hashes, a role bound to a unit, lock-out after failures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ...platform.auth import (
    ALL_UNITS,
    STAFF_ROLES,
    dummy_hash,
    hash_password,
    needs_rehash,
    password_matches,
)
from ...platform.recorders import for_postgres
from ...platform.store import IntegrityError, ServiceStore, Write, utc_text

TABLES = (
    "CREATE TABLE IF NOT EXISTS {p}_users ("
    " username TEXT PRIMARY KEY, tenant TEXT NOT NULL, role TEXT NOT NULL,"
    " password_hash TEXT NOT NULL, failed_attempts INTEGER NOT NULL DEFAULT 0,"
    " locked_until TEXT, created_at TEXT NOT NULL)",
)
MAX_FAILURES = 5
LOCK_FOR = timedelta(minutes=15)


class UserError(ValueError):
    pass


class LoginFailed(PermissionError):
    pass


class AccountLocked(PermissionError):
    pass


def add_user(store: ServiceStore, standards: dict, tenant: str, username: str, role: str,
             password: str) -> None:
    if role not in STAFF_ROLES:
        raise UserError(f"peran `{role}` tidak dikenal; pilih: {', '.join(STAFF_ROLES)}")
    if tenant == ALL_UNITS and role != "admin":
        raise UserError("hanya peran `admin` yang boleh mencakup semua unit (`*`)")
    if tenant != ALL_UNITS and tenant not in standards:
        raise UserError(f"unit `{tenant}` tidak dikenal; ada: {', '.join(sorted(standards))}")
    if len(password) < 10:
        raise UserError("kata sandi minimal 10 karakter")
    if not username or len(username) > 64 or any(c.isspace() for c in username):
        raise UserError("nama pengguna 1-64 karakter tanpa spasi")
    try:
        store.execute([Write(
            f"INSERT INTO {store.prefix}_users (username, tenant, role, password_hash,"
            " failed_attempts, locked_until, created_at) VALUES (?, ?, ?, ?, 0, NULL, ?)",
            (username, tenant, role, hash_password(password), datetime.now(UTC).isoformat()),
        )])
    except IntegrityError:
        raise UserError(f"pengguna `{username}` sudah ada") from None


def authenticate(store: ServiceStore, username: str, password: str,
                 now: datetime | None = None) -> tuple[str, str]:
    """(tenant, role) of a correct login.

    The attempt is counted before its password is checked, in one atomic UPDATE, so however
    many arrive at once, at most MAX_FAILURES passwords are checked before the lock-out holds
    (reading the count, checking, then writing it back lets every guess read the same count
    while the others are checked). A success resets the count."""
    now = now or datetime.now(UTC)
    account = _reserve_attempt(store, username, now)
    if account is None:
        rows = store.query(f"SELECT locked_until FROM {store.prefix}_users WHERE username = ?",
                           (username,))
        if rows:
            raise AccountLocked(_locked_message(rows[0][0]))
        password_matches(dummy_hash(), password)  # a known user's cost: no probing by time
        raise LoginFailed("nama pengguna atau kata sandi salah")
    tenant, role, password_hash = account
    if not password_matches(password_hash, password):
        raise LoginFailed("nama pengguna atau kata sandi salah")
    fresh = hash_password(password) if needs_rehash(password_hash) else password_hash
    store.execute([Write(f"UPDATE {store.prefix}_users SET failed_attempts = 0,"
                         " locked_until = NULL, password_hash = ? WHERE username = ?",
                         (fresh, username))])
    return tenant, role


def _reserve_attempt(store: ServiceStore, username: str, now: datetime) -> tuple | None:
    """Count one attempt and return (tenant, role, password_hash), or None when the account
    is locked or unknown. The count restarts at 1 after an expired lock; the attempt that
    reaches MAX_FAILURES sets the lock in the same statement, so no later one gets a check.
    Row lock (PostgreSQL, which re-reads the WHERE of a waiting UPDATE) or the write lock
    (SQLite) make concurrent attempts take their turn."""
    count = "CASE WHEN locked_until IS NULL THEN failed_attempts + 1 ELSE 1 END"
    rows = _write_returning(
        store,
        f"UPDATE {store.prefix}_users SET failed_attempts = {count},"
        f" locked_until = CASE WHEN {count} >= ? THEN ? ELSE NULL END"
        " WHERE username = ? AND (locked_until IS NULL OR locked_until <= ?)"
        " RETURNING tenant, role, password_hash",
        (MAX_FAILURES, utc_text(now + LOCK_FOR), username, utc_text(now)))
    return rows[0] if rows else None


def _write_returning(store: ServiceStore, sql: str, params: tuple) -> list[tuple]:
    """One committed statement that writes and returns rows (`UPDATE ... RETURNING`): the
    store's `execute` returns nothing and its `query` never commits."""
    with store.using():
        with store.recorder.datastore.transaction(commit=True) as cursor:  # type: ignore[attr-defined]
            if store.is_postgres:
                from psycopg.rows import tuple_row

                cursor.row_factory = tuple_row
                cursor.execute(for_postgres(sql), params)
            else:
                cursor.execute(sql, params)
            return [tuple(row) for row in cursor.fetchall()]


def _locked_message(locked_until: str | None) -> str:
    until = ""
    if locked_until:  # fromisoformat reads utc_text and plain isoformat alike
        moment = datetime.fromisoformat(locked_until).astimezone(UTC)
        until = f" sampai {moment:%Y-%m-%d %H:%M} UTC"
    return f"akun terkunci{until} karena {MAX_FAILURES}x gagal login; coba lagi nanti"

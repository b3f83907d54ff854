"""Staff accounts of the desk: argon2 hashes, a role bound to a unit, a display name (what
reporters see instead of the username), lock-out after failures, logins. Listing, disabling,
resetting and deleting accounts: `accounts.py`."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from ... import refusals
from ...platform.auth import (
    ALL_UNITS,
    STAFF_ROLES,
    dummy_hash,
    hash_password,
    needs_rehash,
    password_matches,
)
from ...platform.store import IntegrityError, ServiceStore, Write, utc_text
from . import totp

TABLES = (
    "CREATE TABLE IF NOT EXISTS {p}_users ("
    " username TEXT PRIMARY KEY, tenant TEXT NOT NULL, role TEXT NOT NULL,"
    " password_hash TEXT NOT NULL, failed_attempts INTEGER NOT NULL DEFAULT 0,"
    " locked_until TEXT, created_at TEXT NOT NULL, display_name TEXT NOT NULL DEFAULT '',"
    " disabled INTEGER NOT NULL DEFAULT 0, last_login TEXT,"
    # The second factor (`totp.py`): the active and the pending secret ('' = none), and the
    # step of the last accepted code (a code is good once).
    " totp_secret TEXT NOT NULL DEFAULT '', totp_pending TEXT NOT NULL DEFAULT '',"
    " totp_step BIGINT NOT NULL DEFAULT 0)",
    # Tokens of `username` issued before `not_before` (unix ms) are void; `published` is the
    # time last written to the STAFF_REVOCATIONS bucket (desk's relay sends the rest).
    "CREATE TABLE IF NOT EXISTS {p}_revocations ("
    " username TEXT PRIMARY KEY, not_before BIGINT NOT NULL, published BIGINT NOT NULL DEFAULT 0)",
    # Units whose logins need a second factor; `*` stands for every unit.
    "CREATE TABLE IF NOT EXISTS {p}_unit_security ("
    " tenant TEXT PRIMARY KEY, require_totp INTEGER NOT NULL DEFAULT 0)",
)
# Columns the users table gained after its first release: a store made before gets them, with
# their defaults, when the desk or a `users` command opens it (`upgrade`).
ADDED_COLUMNS = (("display_name", "TEXT NOT NULL DEFAULT ''"),
                 ("disabled", "INTEGER NOT NULL DEFAULT 0"), ("last_login", "TEXT"),
                 ("totp_secret", "TEXT NOT NULL DEFAULT ''"),
                 ("totp_pending", "TEXT NOT NULL DEFAULT ''"),
                 ("totp_step", "BIGINT NOT NULL DEFAULT 0"))
# Usernames travel in URL paths (/api/v1/users/{username}) and page forms: no slash or space.
USERNAME = re.compile(r"^[A-Za-z0-9._@-]{1,64}$")
MAX_FAILURES = 5
LOCK_FOR = timedelta(minutes=15)


class UserError(refusals.Invalid, ValueError):
    def __init__(self, message: str, field: str | None = None):
        super().__init__(message, field=field)  # the input at fault, for an API answer


class UserExists(refusals.Conflict, UserError):
    pass


class LoginFailed(refusals.NotAuthenticated, PermissionError):
    pass


class AccountLocked(refusals.TooMany, PermissionError):
    pass


class AccountDisabled(LoginFailed):
    pass


class OtpFailed(LoginFailed):
    """A correct password without the code it needs: answered with `field: otp`."""

    def __init__(self, message: str):
        super().__init__(message, field="otp")


def upgrade(store: ServiceStore) -> None:
    p = store.prefix
    try:
        store.query(f"SELECT {', '.join(c for c, _ in ADDED_COLUMNS)} FROM {p}_users LIMIT 0")
        return
    except Exception:  # noqa: BLE001 - a column is missing: added below
        pass
    for column, kind in ADDED_COLUMNS:
        guard = "IF NOT EXISTS " if store.is_postgres else ""
        try:
            store.execute([Write(f"ALTER TABLE {p}_users ADD COLUMN {guard}{column} {kind}")])
        except Exception as exc:  # SQLite has no IF NOT EXISTS: a column already there is fine
            if "duplicate column" not in str(exc).lower():
                raise


def add_user(store: ServiceStore, standards: dict, tenant: str, username: str, role: str,
             password: str, display_name: str = "") -> None:
    """A new account; without a display name reporters see the role's name (`accounts.py`)."""
    if role not in STAFF_ROLES:
        raise UserError(f"peran `{role}` tidak dikenal; pilih: {', '.join(STAFF_ROLES)}", "role")
    if tenant == ALL_UNITS and role != "admin":
        raise UserError("hanya peran `admin` yang boleh mencakup semua unit (`*`)", "tenant")
    if tenant != ALL_UNITS and tenant not in standards:
        raise UserError(f"unit `{tenant}` tidak dikenal; ada: {', '.join(sorted(standards))}",
                        "tenant")
    check_password(password)
    if not USERNAME.match(username or ""):
        raise UserError("nama pengguna 1-64 karakter: huruf, angka, titik, garis bawah, minus "
                        "atau @, tanpa spasi", "username")
    display_name = check_display_name(display_name)
    try:
        store.execute([Write(
            f"INSERT INTO {store.prefix}_users (username, tenant, role, password_hash,"
            " failed_attempts, locked_until, created_at, display_name, disabled)"
            " VALUES (?, ?, ?, ?, 0, NULL, ?, ?, 0)",
            (username, tenant, role, hash_password(password), datetime.now(UTC).isoformat(),
             display_name),
        )])
    except IntegrityError:
        raise UserExists(f"pengguna `{username}` sudah ada", "username") from None


def check_password(password: str) -> None:
    if len(password) < 10:
        raise UserError("kata sandi minimal 10 karakter", "password")
    if len(password) > 200:
        raise UserError("kata sandi maksimal 200 karakter", "password")


def check_display_name(name: str) -> str:
    name = " ".join((name or "").split())
    if len(name) > 80:
        raise UserError("nama tampilan maksimal 80 karakter", "display_name")
    return name


def authenticate(store: ServiceStore, username: str, password: str,
                 now: datetime | None = None, otp: str = "") -> tuple[str, str]:
    """(tenant, role) of a correct login.

    The attempt is counted before its password is checked, in one atomic UPDATE, so however
    many arrive at once, at most MAX_FAILURES passwords are checked before the lock-out holds
    (reading the count, checking, then writing it back lets every guess read the same count
    while the others are checked). A success resets the count. A disabled account is
    counted like any other, and told so only after a correct password. So is a missing or
    wrong OTP code: only a full success resets the count, so the `field: otp` answer (which
    tells a correct password) is worth no more guesses than the lock-out allows."""
    now = now or datetime.now(UTC)
    account = _reserve_attempt(store, username, now)
    if account is None:
        rows = store.query(f"SELECT locked_until FROM {store.prefix}_users WHERE username = ?",
                           (username,))
        if rows:
            raise AccountLocked(_locked_message(rows[0][0]))
        password_matches(dummy_hash(), password)  # a known user's cost: no probing by time
        raise LoginFailed("nama pengguna atau kata sandi salah")
    tenant, role, password_hash, disabled, secret, last_step = account
    if not password_matches(password_hash, password):
        raise LoginFailed("nama pengguna atau kata sandi salah")
    if disabled:
        raise AccountDisabled("akun ini dinonaktifkan; hubungi admin unit Anda")
    step = _second_factor(store, tenant, secret, int(last_step), otp, now)
    fresh = hash_password(password) if needs_rehash(password_hash) else password_hash
    # The step only moves forward: of two logins with one code, one succeeds.
    done = _write_returning(store, f"UPDATE {store.prefix}_users SET failed_attempts = 0,"
                            " locked_until = NULL, password_hash = ?, last_login = ?,"
                            " totp_step = ? WHERE username = ? AND (? = 0 OR totp_step < ?)"
                            " RETURNING username",
                            (fresh, utc_text(now), step or last_step, username, step, step))
    if not done:
        raise OtpFailed("kode OTP salah atau sudah dipakai; tunggu kode berikutnya")
    return tenant, role


def _second_factor(store: ServiceStore, tenant: str, secret: str, last_step: int, otp: str,
                   now: datetime) -> int:
    """The step of the accepted code, or 0 when this login needs none."""
    if not secret:
        if totp.unit_requires(store, tenant):
            raise OtpFailed("unit Anda mewajibkan kode OTP, tetapi akun ini belum mendaftarkan "
                            "OTP; minta admin unit Anda untuk mengaturnya")
        return 0
    if not otp.strip():
        raise OtpFailed("kode OTP wajib diisi (lihat aplikasi autentikator Anda)")
    step = totp.accepted_step(secret, otp, last_step, now)
    if step is None:
        raise OtpFailed("kode OTP salah atau sudah dipakai; tunggu kode berikutnya")
    return step


def _reserve_attempt(store: ServiceStore, username: str, now: datetime) -> tuple | None:
    """Count one attempt and return (tenant, role, password_hash, disabled, totp_secret,
    totp_step), or None when the
    account is locked or unknown. The count restarts at 1 after an expired lock; the attempt that
    reaches MAX_FAILURES sets the lock in the same statement, so no later one gets a check.
    Row lock (PostgreSQL, which re-reads the WHERE of a waiting UPDATE) or the write lock
    (SQLite) make concurrent attempts take their turn."""
    count = "CASE WHEN locked_until IS NULL THEN failed_attempts + 1 ELSE 1 END"
    rows = _write_returning(
        store,
        f"UPDATE {store.prefix}_users SET failed_attempts = {count},"
        f" locked_until = CASE WHEN {count} >= ? THEN ? ELSE NULL END"
        " WHERE username = ? AND (locked_until IS NULL OR locked_until <= ?)"
        " RETURNING tenant, role, password_hash, disabled, totp_secret, totp_step",
        (MAX_FAILURES, utc_text(now + LOCK_FOR), username, utc_text(now)))
    return rows[0] if rows else None


def _write_returning(store: ServiceStore, sql: str, params: tuple) -> list[tuple]:
    return store.execute_returning(sql, params)


def _locked_message(locked_until: str | None) -> str:
    until = ""
    if locked_until:  # fromisoformat reads utc_text and plain isoformat alike
        moment = datetime.fromisoformat(locked_until).astimezone(UTC)
        until = f" sampai {moment:%Y-%m-%d %H:%M} UTC"
    return f"akun terkunci{until} karena {MAX_FAILURES}x gagal login; coba lagi nanti"

"""Staff accounts of the desk: argon2 hashes, a role bound to a unit, lock-out after failures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ...platform.auth import ALL_UNITS, STAFF_ROLES, hash_password, password_matches
from ...platform.store import IntegrityError, ServiceStore, Write

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
    """(tenant, role) of a correct login; counts failures and locks the account after five."""
    now = now or datetime.now(UTC)
    p = store.prefix
    rows = store.query(f"SELECT tenant, role, password_hash, failed_attempts, locked_until"
                       f" FROM {p}_users WHERE username = ?", (username,))
    if not rows:
        password_matches(hash_password("x" * 10), password)  # same cost: no user probing by time
        raise LoginFailed("nama pengguna atau kata sandi salah")
    tenant, role, password_hash, failures, locked_until = rows[0]
    if locked_until and datetime.fromisoformat(locked_until) > now:
        raise AccountLocked(f"akun terkunci sampai {locked_until} karena {MAX_FAILURES}x gagal login")
    if not password_matches(password_hash, password):
        failures += 1
        lock = (now + LOCK_FOR).isoformat() if failures >= MAX_FAILURES else None
        store.execute([Write(f"UPDATE {p}_users SET failed_attempts = ?, locked_until = ?"
                             " WHERE username = ?", (0 if lock else failures, lock, username))])
        raise LoginFailed("nama pengguna atau kata sandi salah")
    store.execute([Write(f"UPDATE {p}_users SET failed_attempts = 0, locked_until = NULL"
                         " WHERE username = ?", (username,))])
    return tenant, role

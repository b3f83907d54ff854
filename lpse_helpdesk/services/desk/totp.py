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

import hmac
from datetime import datetime

import pyotp

from ... import refusals
from ...platform.auth import ALL_UNITS
from ...platform.store import ServiceStore, Write

DRIFT = 1  # steps either side of now: pyotp's `valid_window=1`


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


def factor(store: ServiceStore, username: str) -> tuple[str, str]:
    rows = store.query(f"SELECT totp_secret, totp_pending FROM {store.prefix}_users"
                       " WHERE username = ?", (username,))
    if not rows:
        raise refusals.NotFound("akun tidak ditemukan", field="otp")
    return rows[0]


def enroll(store: ServiceStore, username: str) -> str:
    """A new pending secret. An enrolled factor is changed only after an admin's reset, so a
    stolen session cannot swap in a factor of its own."""
    secret, _ = factor(store, username)
    if secret:
        raise refusals.Conflict("OTP sudah aktif untuk akun ini; minta admin mengatur ulang OTP "
                                "untuk mendaftar perangkat baru", field="otp")
    pending = pyotp.random_base32()
    store.execute([Write(f"UPDATE {store.prefix}_users SET totp_pending = ? WHERE username = ?",
                         (pending, username))])
    return pending


def confirm(store: ServiceStore, username: str, otp: str, now: datetime) -> None:
    secret, pending = factor(store, username)
    if secret or not pending:
        raise refusals.Conflict("tidak ada pendaftaran OTP yang menunggu; mulai dari `enroll`",
                                field="otp")
    step = accepted_step(pending, otp, 0, now)
    if step is None:
        raise refusals.Invalid("kode OTP salah; periksa jam ponsel dan coba kode berikutnya",
                               field="otp")
    store.execute([Write(f"UPDATE {store.prefix}_users SET totp_secret = totp_pending,"
                         " totp_pending = '', totp_step = ? WHERE username = ?", (step, username))])


def reset(store: ServiceStore, username: str) -> None:
    store.execute([Write(f"UPDATE {store.prefix}_users SET totp_secret = '', totp_pending = '',"
                         " totp_step = 0 WHERE username = ?", (username,))])

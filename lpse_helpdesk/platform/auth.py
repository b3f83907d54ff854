"""Staff identity across services: argon2 password hashes and signed bearer tokens.

The desk service keeps the users and issues tokens; every service verifies them with the shared
secret alone (HMAC-SHA256), so a staff action can go to any service without a session store.
The secret and its rotation: `keys.py`.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import hashlib
import hmac
import secrets
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Literal

import msgspec
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from litestar import Request
from litestar.connection import ASGIConnection

from ..refusals import Forbidden, NotAuthenticated, TooMany
from ..settings import Settings
from .keys import Key, key_of, load_keys
from .revocations import Revocations

StaffRole = Literal["helpdesk", "koordinator", "admin_ppe", "lkpp", "kepala_unit", "admin"]
STAFF_ROLES: tuple[str, ...] = StaffRole.__args__  # type: ignore[attr-defined]
ALL_UNITS = "*"  # an admin may span units

_hasher = PasswordHasher()


class Principal(msgspec.Struct, frozen=True, kw_only=True):
    username: str
    role: StaffRole
    tenant: str  # a unit id, or "*" for an admin of every unit
    expires: int = 0  # unix seconds
    # Unix seconds with milliseconds; 0 in tokens made before the claim existed, which any
    # revocation of their user therefore voids (`revocations.py`).
    issued_at: float = 0.0

    def may_act_in(self, tenant: str) -> bool:
        return self.tenant in (tenant, ALL_UNITS)


class InvalidToken(ValueError):
    pass


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def password_matches(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Whether the hash was made with other parameters than today's hasher: rehashed at the
    next correct login, so every account's check costs what the dummy's does."""
    try:
        return _hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return False


@functools.cache
def dummy_hash() -> str:
    """The hash an unknown username is checked against: a random password, the hasher's own
    parameters, made once per process. The check then costs what a known user's costs, so the
    time of an answer does not tell which usernames exist."""
    return _hasher.hash(secrets.token_urlsafe(24))


class LoginsBusy(TooMany):
    """Every password worker is busy and the waiting line is full: try again in a second."""

    def __init__(self, message: str):
        super().__init__(message, retry_after=1)


class PasswordPool:
    """Password checks (argon2: ~0.1 s of CPU and 64 MiB each) on a few threads of their own.

    Why: in the shared thread pool a flood of bogus logins took every worker and both cores,
    and other requests waited behind it for seconds. Here at most `workers` checks run at once,
    at most `waiting` more wait, and anything beyond is refused at once (`LoginsBusy`) instead
    of queued without end. A refused login has touched nothing: no attempt is counted."""

    def __init__(self, workers: int = 2, waiting: int = 8):
        self.workers, self.waiting = workers, waiting
        self._slots = threading.BoundedSemaphore(workers + waiting)
        self._executor = ThreadPoolExecutor(workers, thread_name_prefix="kata-sandi")

    def submit(self, work, *args) -> Future:
        if not self._slots.acquire(blocking=False):
            raise LoginsBusy("Terlalu banyak percobaan masuk, coba lagi sebentar")
        try:
            future = self._executor.submit(work, *args)
        except BaseException:
            self._slots.release()
            raise
        future.add_done_callback(lambda _done: self._slots.release())
        return future

    async def run(self, work, *args):
        """`work(*args)` in the pool. Cancelling the caller drops work that has not started
        (a login that never reached the store); started work finishes in its thread."""
        return await asyncio.wrap_future(self.submit(work, *args))

    def warm(self) -> None:
        """Make the dummy hash now, off the event loop, so the first unknown username costs
        no more than a known one."""
        try:
            self.submit(dummy_hash)
        except LoginsBusy:
            pass


LOGIN_POOL = PasswordPool()  # one per process: the bound is on the machine's CPU


def load_secret(settings: Settings) -> list[Key]:
    """The keys in use (current first); SecretError when the secret is missing or short."""
    return load_keys(settings.data_dir)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TokenSigner:
    """Signs with the current key; verifies with any key still in use (`keys.py`). A staff
    token is `<key id>.<claims>.<signature>`."""

    def __init__(self, keys: list[Key] | Key | bytes, ttl_seconds: int = 8 * 3600):
        if isinstance(keys, bytes):
            keys = key_of(keys)
        self.keys = [keys] if isinstance(keys, Key) else list(keys)
        self.by_id = {key.id: key for key in self.keys}
        self.ttl = ttl_seconds
        # Filled by the runtime's watch of the STAFF_REVOCATIONS bucket (revocations.follow).
        self.revocations = Revocations()

    @property
    def secret(self) -> bytes:
        return self.keys[0].secret

    def reporter_token(self, ticket_id, expected_sha256: str | None = None) -> str:
        """The reporter's access token for a ticket: derived, never stored, so whoever holds
        the secret (intake on creation, notify for the status link) can hand it out. With the
        hash stored at creation, the key that made it is found, so links mailed after a
        rotation still open the ticket."""
        for key in self.keys if expected_sha256 else self.keys[:1]:
            digest = hmac.new(key.secret, f"reporter:{ticket_id}".encode(), hashlib.sha256)
            token = _b64(digest.digest()[:24])
            if not expected_sha256 or hmac.compare_digest(
                    hashlib.sha256(token.encode()).hexdigest(), expected_sha256):
                return token
        return self.reporter_token(ticket_id)

    def issue(self, username: str, role: str, tenant: str) -> str:
        now = time.time()
        claims = Principal(username=username, role=role, tenant=tenant,  # type: ignore[arg-type]
                           expires=int(now) + self.ttl, issued_at=round(now, 3))
        key, body = self.keys[0], _b64(msgspec.json.encode(claims))
        return f"{key.id}.{body}.{self._sign(key, body)}"

    def verify(self, token: str) -> Principal:
        key_id, _, rest = token.partition(".")
        body, _, signature = rest.partition(".")
        key = self.by_id.get(key_id)
        # compare_digest refuses non-ASCII text with a TypeError: such a token is simply wrong.
        if key is None or not body or not signature.isascii() or not hmac.compare_digest(
                signature, self._sign(key, body)):
            raise InvalidToken("token tidak sah / invalid token")
        try:
            principal = msgspec.json.decode(_unb64(body), type=Principal)
        except (msgspec.DecodeError, ValueError):
            raise InvalidToken("token rusak / malformed token") from None
        if principal.expires < time.time():
            raise InvalidToken("token kedaluwarsa, silakan login lagi / token expired")
        if self.revocations.voids(principal.username, principal.issued_at):
            raise InvalidToken("token dicabut (akun dinonaktifkan, dihapus atau kata sandinya "
                               "diatur ulang), silakan login lagi / token revoked")
        return principal

    @staticmethod
    def _sign(key: Key, body: str) -> str:
        return _b64(hmac.new(key.secret, body.encode(), hashlib.sha256).digest())


def bearer(request: ASGIConnection) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _logged_in(connection: ASGIConnection, signer: TokenSigner) -> Principal:
    token = bearer(connection)
    if token is None:
        raise NotAuthenticated("Perlu login staf (Authorization: Bearer) / staff login required")
    try:
        return signer.verify(token)
    except InvalidToken as exc:
        raise NotAuthenticated(str(exc)) from None


def staff_login(connection: ASGIConnection, _handler) -> None:
    """Litestar guard of staff routes: a valid staff token, checked before the body or the
    query is read, so an anonymous caller gets 401 and learns nothing else (not even what the
    body should hold). The handler still checks role and unit (`authorize`)."""
    _logged_in(connection, connection.app.state.signer)


def reporter_or_staff(connection: ASGIConnection, _handler) -> None:
    """Guard of the reporter's routes: the ticket's access token (`?token=`, checked by the
    service) or a valid staff token, before anything else is read."""
    if bearer(connection) is not None:
        _logged_in(connection, connection.app.state.signer)
    elif not connection.query_params.get("token"):
        raise NotAuthenticated("Sertakan token akses pelapor (?token=) atau login staf / the "
                               "reporter's access token or a staff login is required",
                               field="token")


async def provide_staff(request: Request) -> Principal:
    """The `staff` dependency: the logged-in staff member (routes behind `staff_login`)."""
    return _logged_in(request, request.app.state.signer)


async def provide_caller(request: Request) -> Principal | None:
    """The `caller` dependency of routes a reporter may call too: the staff member behind a
    bearer token, or None for a reporter (`reporter_or_staff` checked one is there)."""
    return _logged_in(request, request.app.state.signer) if bearer(request) else None


def authorize(principal: Principal, tenant: str | None = None,
              roles: tuple[str, ...] = STAFF_ROLES) -> Principal:
    """`principal`, if one of `roles` may act in `tenant` (any unit when None)."""
    if principal.role not in roles:
        raise Forbidden(
            f"Peran `{principal.role}` tidak boleh melakukan ini (boleh: {', '.join(roles)})")
    if tenant is not None and not principal.may_act_in(tenant):
        raise Forbidden(
            f"Akun unit `{principal.tenant}` tidak boleh bertindak atas tiket unit `{tenant}`")
    return principal

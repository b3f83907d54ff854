"""Fetching a unit's own mailboxes (`[[mail.mailboxes]]` in its standard): their mail goes
through the same intake as mail to the SMTP listener (limits, loop checks, the Message-ID's
dedup), so a Gmail or Yahoo helpdesk address works as it is.

A message is marked (moved to `done_folder`, or flagged deleted; POP3: deleted) only after its
ticket or reply is stored, so a crash loses nothing; a restart fetches what was not marked
again, and the Message-ID makes that second copy change nothing (a mail without one gets an id
made of its bytes, mailsession.with_message_id). Mail the intake refuses for good (5xx) is
flagged and left for people to read, and its sender is told why by mail (fetch_refusal.py);
mail it cannot take now (4xx: NATS away, a sender's hourly limit) stays for the next round. A
wrong password, an unreachable server or a password missing from the environment is kept as
the mailbox's status, shown on /ready, to the unit's staff (`/api/v1/mail/mailboxes`, the page
`/staf/kotak-surat` and a warning on the queue), and the fetcher tries again by itself with a
growing pause.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import ssl
import threading
import weakref
from dataclasses import asdict, dataclass
from datetime import timedelta

from ...platform.observability import log_event
from .fetch_refusal import RefusalReplies
from .mailsession import return_path, session, with_message_id

log = logging.getLogger("lpse_helpdesk.fetch")
RETRY_FIRST, RETRY_MAX = 1.0, 300.0
_STATUS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # service -> {label: Status}


@dataclass
class Status:
    tenant: str
    mailbox: str  # protocol://user@host:port/folder, no password
    state: str = "starting"  # starting | ok | error
    error: str = ""  # the server's or the library's own words
    problem: str = ""  # the same in plain Indonesian, for the unit's staff (plain_problem)
    since: str = ""  # when the state began
    retry_at: str = ""  # after an error: when the next try is
    last_ok: str = ""
    fetched: int = 0  # mails stored (tickets or replies) since start
    refused: int = 0


def statuses(service, tenant: str | None = None) -> list[dict]:
    return [asdict(s) for s in _STATUS.get(service, {}).values()
            if tenant is None or s.tenant == tenant]


def readiness(service) -> dict:
    """For /ready: each mailbox's state, without making the process unready (one unit's
    password must not take the whole front out of a load balancer)."""
    found = statuses(service)
    return {"mailboxes": {s["mailbox"]: "ok" if s["state"] == "ok" else
                          f"{s['state']}: {s['error']}" for s in found}} if found else {}


def tasks(service, make_intake) -> list:
    """One fetching loop per mailbox of every unit, sharing one mail intake (smtp.MailIntake,
    made by `make_intake` when there is a mailbox to fetch)."""
    loops, intake, replies = [], None, None
    for tenant, standard in service.standards.items():
        for box in standard.mail.mailboxes:
            if intake is None:
                intake = make_intake()
                replies = RefusalReplies(service, intake.own)
            loops.append(lambda stop, t=tenant, b=box, i=intake, r=replies:
                         fetch_forever(service, i, t, b, stop, r))
    return loops


def _now(service) -> str:
    return service.now().isoformat(timespec="seconds")


async def fetch_forever(service, intake, tenant: str, box, stop: asyncio.Event,
                        replies: RefusalReplies | None = None) -> None:
    status = Status(tenant, box.label, since=_now(service))
    _STATUS.setdefault(service, {})[box.label] = status
    stopping = threading.Event()
    watcher = asyncio.create_task(_relay_stop(stop, stopping))
    pause = RETRY_FIRST
    try:
        while not stop.is_set():
            current = session(box)
            try:
                await asyncio.to_thread(current.open)
                while not stop.is_set():
                    # Again while a round marked something: mail that came meanwhile may have
                    # been announced to an earlier command, not to the IDLE that follows.
                    while await fetch_round(service, intake, tenant, current, status, replies):
                        pass
                    _ok(service, status)
                    pause = RETRY_FIRST
                    await asyncio.to_thread(current.wait, box.poll_seconds, stopping)
                    if current.conn is None:  # POP3 logs in again every round
                        break
            except Exception as exc:  # noqa: BLE001 - any failure: shown, then tried again
                _failed(service, status, exc)
                status.retry_at = (service.now() + timedelta(seconds=pause)).isoformat(
                    timespec="seconds")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), pause)
                pause = min(pause * 2, RETRY_MAX, float(box.poll_seconds))
            finally:
                await asyncio.to_thread(current.close)
    finally:
        stopping.set()  # a wait still running in its thread ends within a second
        watcher.cancel()


async def fetch_round(service, intake, tenant: str, current, status: Status,
                      replies: RefusalReplies | None = None) -> int:
    """Every waiting message once; returns how many were marked (stored or refused). The
    sender of a refused one is told why (fetch_refusal.py), once it is marked."""
    marked = 0
    for uid in await asyncio.to_thread(current.pending):
        raw = await asyncio.to_thread(current.fetch, uid)
        if raw is None:
            continue
        raw = with_message_id(raw, current.box.host)
        sender = return_path(raw)
        try:
            answer = await intake.accept(tenant, raw, "mailbox" if sender is None else sender)
        except Exception as exc:  # noqa: BLE001 - as the SMTP listener's 451: the bus, a bug
            # in one mail. Not the mailbox's failure: the other mails go on, this one waits.
            log_event(log, "surat dari kotak surat gagal diproses", logging.ERROR,
                      tenant=tenant, mailbox=current.box.label, error=repr(exc)[:300])
            answer = "451 4.3.0 gangguan sementara di helpdesk"
        code = answer[:3]
        if code.startswith("2"):
            await asyncio.to_thread(current.done, uid)
            marked += 1
            status.fetched += 1
        elif code.startswith("5"):
            await asyncio.to_thread(current.refused, uid)
            marked += 1
            status.refused += 1
            log_event(log, "surat dari kotak surat ditolak", logging.WARNING, tenant=tenant,
                      mailbox=current.box.label, answer=answer)
            if replies is not None:
                await replies.answer(tenant, raw, answer)
        else:  # 4xx: stays in the mailbox for the next round
            log_event(log, "surat dari kotak surat ditunda", tenant=tenant,
                      mailbox=current.box.label, answer=answer)
    return marked


def _ok(service, status: Status) -> None:
    if status.state != "ok":
        log_event(log, "kotak surat tersambung", tenant=status.tenant, mailbox=status.mailbox)
        status.state, status.error, status.since = "ok", "", _now(service)
        status.problem = status.retry_at = ""
    status.last_ok = _now(service)


def _failed(service, status: Status, exc: BaseException) -> None:
    # imaplib's and poplib's errors carry the server's words, never the password sent
    kind = {"error": "IMAP", "error_proto": "POP3"}.get(type(exc).__name__, type(exc).__name__)
    said = exc.args[0] if len(exc.args) == 1 else exc
    said = said.decode("utf-8", "replace") if isinstance(said, bytes) else str(said)
    error = " ".join(f"{kind}: {said}".split())[:300]
    if status.state != "error" or status.error != error:
        log_event(log, "kotak surat gagal", logging.WARNING, tenant=status.tenant,
                  mailbox=status.mailbox, error=error)
        status.state, status.error, status.since = "error", error, _now(service)
        status.problem = plain_problem(exc, error)


def plain_problem(exc: BaseException, error: str) -> str:
    """What went wrong, as a clerk can pass it on to whoever keeps the mailbox's password or
    server (the exact words stay in `error`)."""
    said = error.lower()
    if isinstance(exc, LookupError):  # the secret: already Indonesian (mailconf.password)
        return f"kata sandi belum disiapkan: {said}"
    if any(w in said for w in ("authenticationfailed", "authentication failed", "[auth]",
                               "invalid credentials", "login failed", "logon failure")):
        return "kata sandi ditolak server (nama pengguna atau kata sandi salah)"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return "sertifikat TLS server tidak dipercaya"
    if isinstance(exc, socket.gaierror):
        return "nama server tidak dikenal (periksa host di standar unit)"
    if isinstance(exc, TimeoutError | socket.timeout):
        return "server tidak menjawab (waktu habis)"
    if isinstance(exc, ConnectionError | OSError):
        return "server tidak dapat dihubungi"
    if said.startswith("imap: folder"):
        return "folder tidak ada di kotak surat"
    return f"kotak surat menolak: {error}"


async def _relay_stop(stop: asyncio.Event, stopping: threading.Event) -> None:
    await stop.wait()
    stopping.set()

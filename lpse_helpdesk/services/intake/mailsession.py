"""One login on a unit's mailbox, IMAP or POP3 over TLS, as blocking calls (run in a thread).

Why the standard library's imaplib and poplib in a thread rather than aioimaplib: both
protocols, TLS from the first byte and STARTTLS for each, in one shape, with no new dependency;
the one thing imaplib lacks before Python 3.14 is IDLE, which is a few lines on its socket
(RFC 2177: `IDLE`, wait for an untagged `EXISTS`, `DONE`). Each call is short except `wait`,
which listens in one-second steps so that stopping never waits for the server.
"""

from __future__ import annotations

import hashlib
import imaplib
import poplib
import re
import select
import ssl
import threading
import time

TIMEOUT = 30.0
# An IDLE is ended and the folder searched again this often (RFC 2177 asks for at most 29
# minutes): a safety net under the server's notifications, three short commands a round.
IDLE_RENEW = 10.0
REFUSED = "$LpseRefused"  # kept in the mailbox for people to see, never fetched again
_UID = re.compile(rb"UID (\d+)")


def _context(account) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=account.ca_file or None)


def with_message_id(raw: bytes, where: str) -> bytes:
    """The mail as fetched, given a Message-ID made of its bytes when it has none, so that a
    second fetch of it (after a crash before it was marked) is recognised as the same mail."""
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0].lower()
    if re.search(rb"(?m)^message-id:", head):
        return raw
    digest = hashlib.sha256(raw).hexdigest()[:40]
    return f"Message-ID: <fetched.{digest}@{where}>\r\n".encode() + raw


def return_path(raw: bytes) -> str | None:
    """The envelope sender the delivering server wrote (`<>` for a bounce), or None."""
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0][:20_000]
    found = re.search(rb"(?im)^return-path:[ \t]*<([^>\r\n]*)>", head)
    return found.group(1).decode("ascii", "replace") if found else None


class ImapSession:
    def __init__(self, box):
        self.box, self.conn = box, None

    def open(self) -> None:
        box = self.box
        if box.security == "tls":
            conn = imaplib.IMAP4_SSL(box.host, box.port_or_default(), ssl_context=_context(box),
                                     timeout=TIMEOUT)
        else:
            conn = imaplib.IMAP4(box.host, box.port_or_default(), timeout=TIMEOUT)
            if box.security == "starttls":
                conn.starttls(_context(box))
        self.conn = conn
        conn.login(box.username, box.password())
        # What the server offers once logged in (some name IDLE only then).
        status, data = conn.capability()
        if status == "OK" and data and data[0]:
            conn.capabilities = tuple(data[0].decode("ascii", "replace").upper().split())
        status, data = conn.select(_quoted(box.folder))
        if status != "OK":
            raise imaplib.IMAP4.error(f"folder {box.folder}: {data!r}")

    def pending(self) -> list[bytes]:
        # What was told before this search is covered by it; wait() looks at what comes after.
        self.conn.untagged_responses.pop("EXISTS", None)
        self.conn.untagged_responses.pop("RECENT", None)
        status, data = self.conn.uid("SEARCH", None, "UNDELETED", "UNKEYWORD", REFUSED)
        return data[0].split() if status == "OK" and data and data[0] else []

    def fetch(self, uid: bytes) -> bytes | None:
        status, data = self.conn.uid("FETCH", uid, "(BODY.PEEK[])")
        parts = [p for p in data if isinstance(p, tuple)] if status == "OK" else []
        return parts[0][1] if parts else None

    def done(self, uid: bytes) -> None:
        """Stored: moved to done_folder, or flagged seen and deleted."""
        if self.box.done_folder:
            status, _ = self.conn.uid("COPY", uid, _quoted(self.box.done_folder))
            if status != "OK":
                raise imaplib.IMAP4.error(f"COPY ke {self.box.done_folder} gagal")
        self.conn.uid("STORE", uid, "+FLAGS.SILENT", r"(\Seen \Deleted)")
        self.conn.expunge()

    def refused(self, uid: bytes) -> None:
        self.conn.uid("STORE", uid, "+FLAGS.SILENT", rf"(\Seen {REFUSED})")

    def wait(self, seconds: float, stopping: threading.Event) -> None:
        """Until new mail (IDLE, where the server offers it), `seconds`, or stopping. An IDLE
        lasts at most IDLE_RENEW, so that a notification lost on the way (a server's or a
        network's) delays a mail by that much at most: the next round searches again."""
        if self.conn.untagged_responses.pop("EXISTS", None):
            return  # told with the answer to a command after the last SEARCH: not seen by it
        if "IDLE" not in self.conn.capabilities:
            stopping.wait(seconds)
            return
        conn, lines = self.conn, _Lines(self.conn.sock)
        tag = conn._new_tag()  # noqa: SLF001 - imaplib has no IDLE before 3.14
        conn.send(tag + b" IDLE\r\n")
        new, answer_by = False, time.monotonic() + TIMEOUT
        while True:  # mail that came since the last command may be told before the "+"
            line = lines.next(answer_by)
            if line.startswith(b"+"):
                break
            if not line.startswith(b"*"):
                raise imaplib.IMAP4.error(f"IDLE ditolak server: {line[:200]!r}")
            new = new or _news(line)
        until = time.monotonic() + min(seconds, IDLE_RENEW)
        while not new and not stopping.is_set():
            line = lines.next(until, stopping)
            if line is None:
                break
            new = _news(line)
        conn.send(b"DONE\r\n")
        answer_by = time.monotonic() + TIMEOUT
        while not lines.next(answer_by).startswith(tag):  # the rest, then IDLE's own answer
            pass

    def close(self) -> None:
        """The connection closed without LOGOUT's round trip: a stop must not wait for a
        server that may be in the middle of IDLE, and every mark is already expunged."""
        if self.conn is not None:
            try:
                self.conn.shutdown()
            except OSError:
                pass
            self.conn = None


class Pop3Session:
    """POP3 has no flags and no push: a message is deleted once stored, and the server applies
    the deletions at QUIT, so a crash before it loses nothing (the next login sees the mail
    again, and its Message-ID makes that second copy change nothing)."""

    def __init__(self, box):
        self.box, self.conn, self.numbers = box, None, {}

    def open(self) -> None:
        box = self.box
        if box.security == "tls":
            conn = poplib.POP3_SSL(box.host, box.port_or_default(), context=_context(box),
                                   timeout=TIMEOUT)
        else:
            conn = poplib.POP3(box.host, box.port_or_default(), timeout=TIMEOUT)
            if box.security == "starttls":
                conn.stls(_context(box))
        self.conn = conn
        conn.user(box.username)
        conn.pass_(box.password())

    def pending(self) -> list[bytes]:
        _, listing, _ = self.conn.uidl()
        self.numbers = {}
        for line in listing:
            number, _, uid = line.partition(b" ")
            self.numbers[uid] = number
        return list(self.numbers)

    def fetch(self, uid: bytes) -> bytes | None:
        _, lines, _ = self.conn.retr(int(self.numbers[uid]))
        return b"\r\n".join(lines) + b"\r\n"

    def done(self, uid: bytes) -> None:
        self.conn.dele(int(self.numbers[uid]))

    refused = done  # no flags to keep it by: it is logged and shown to staff

    def wait(self, seconds: float, stopping: threading.Event) -> None:
        self.close()  # deletions apply at QUIT; the next round logs in again
        stopping.wait(seconds)

    def close(self) -> None:
        if self.conn is not None:
            try:
                self.conn.quit()
            except (poplib.error_proto, OSError):
                pass
            self.conn = None


def _news(line: bytes) -> bool:
    return line.startswith(b"* ") and line.rstrip().upper().endswith((b" EXISTS", b" RECENT"))


class _Lines:
    """IDLE's lines read straight from the socket. Not through imaplib's buffered file: the
    server often sends "+ idling" and the EXISTS of a mail that came just before in one
    packet, and a line already in that file's buffer never wakes select()."""

    def __init__(self, sock):
        self.sock, self.data = sock, bytearray()

    def next(self, until: float, stopping: threading.Event | None = None) -> bytes | None:
        """The next line; None at `until` or when stopping, when `stopping` is given; without
        it, reaching `until` means the server stopped answering."""
        while (end := self.data.find(b"\n")) < 0:
            if len(self.data) > 100_000:
                raise imaplib.IMAP4.error("baris dari server terlalu panjang")
            left = until - time.monotonic()
            if left <= 0 or (stopping is not None and stopping.is_set()):
                if stopping is None:
                    raise TimeoutError("server tidak menjawab IDLE")
                return None
            pending = getattr(self.sock, "pending", lambda: 0)()
            if not pending and not select.select([self.sock], [], [], min(left, 1.0))[0]:
                continue
            chunk = self.sock.recv(65536)
            if not chunk:
                raise OSError("server menutup koneksi")
            self.data += chunk
        line = bytes(self.data[:end + 1])
        del self.data[:end + 1]
        return line


def session(box):
    return ImapSession(box) if box.protocol == "imap" else Pop3Session(box)


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'

"""A real Dovecot (Debian's dovecot-imapd and dovecot-pop3d) for the mailbox-fetching tests:
started on free ports in a temporary folder with a generated config, a self-signed certificate
and one passwd-file user, never as the system service.

Installed by the test set-up with apt-get when it is missing and the tests run as root (as CI
does), like Chromium (tests/chromium.py); otherwise the tests skip with the reason, except under
`CI=true`, where a missing Dovecot is a failure.
"""

from __future__ import annotations

import imaplib
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from lpse_helpdesk.platform.natsserver import free_port

BINARY = "/usr/sbin/dovecot"
PACKAGES = ["dovecot-imapd", "dovecot-pop3d"]
USER, PASSWORD = "lpse", "sandi-kotak-surat-uji"

CONFIG = """\
protocols = imap pop3
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
ssl = required
ssl_cert = <{root}/cert.pem
ssl_key = <{root}/key.pem
auth_mechanisms = plain login
first_valid_uid = 1
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid=nobody gid=nogroup home={root}/home/%u
}}
mail_location = maildir:~/Maildir
namespace inbox {{
  inbox = yes
  mailbox Selesai {{
    auto = create
  }}
}}
service imap-login {{
  inet_listener imap {{
    port = 0
  }}
  inet_listener imaps {{
    port = {imaps}
    ssl = yes
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    port = {pop3}
  }}
  inet_listener pop3s {{
    port = {pop3s}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
service pop3-login {{
  chroot =
}}
"""


def _install() -> str:
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return "dovecot is missing, and installing it needs root and apt-get"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "install", "-y", "--no-install-recommends", *PACKAGES],
                    ["apt-get", "update"],
                    ["apt-get", "install", "-y", "--no-install-recommends", *PACKAGES]):
        print(f"[mailbox tests] {' '.join(command)}", flush=True)
        result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)
        if result.returncode == 0 and command[1] == "install":
            return ""
    return f"apt-get install dovecot failed: {result.stderr[-500:]}"


def dovecot_or_skip() -> str:
    if not os.path.exists(BINARY):
        problem = _install()
        if not os.path.exists(BINARY):
            if os.environ.get("CI") == "true":
                pytest.fail(f"Dovecot is required under CI=true: {problem}")
            print(f"[mailbox tests] skipped: {problem}")
            pytest.skip(problem)
    if os.geteuid() != 0:
        reason = "Dovecot's mail user (nobody) needs the tests to run as root"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        print(f"[mailbox tests] skipped: {reason}")
        pytest.skip(reason)
    return BINARY


class Dovecot:
    def __init__(self):
        self.root = Path(tempfile.mkdtemp(prefix="lpse-dovecot-"))
        # TLS from the first byte (imaps, pop3s), and POP3 upgraded by STARTTLS (`ssl =
        # required`: no login before it).
        self.imaps, self.pop3s, self.pop3 = free_port(), free_port(), free_port()
        self.process: subprocess.Popen | None = None

    @property
    def cert(self) -> str:
        return str(self.root / "cert.pem")

    def start(self) -> None:
        binary = dovecot_or_skip()
        root = self.root
        root.chmod(0o755)
        for folder in ("run", "state", "home"):
            (root / folder).mkdir()
        shutil.chown(root / "home", "nobody", "nogroup")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                        "-subj", "/CN=localhost", "-addext",
                        "subjectAltName=IP:127.0.0.1,DNS:localhost",
                        "-keyout", str(root / "key.pem"), "-out", self.cert],
                       check=True, capture_output=True)
        (root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}::::::\n")
        (root / "passwd").chmod(0o644)  # read by Dovecot's auth user, whatever the umask
        (root / "home").chmod(0o755)
        (root / "dovecot.conf").write_text(CONFIG.format(root=root, imaps=self.imaps,
                                                         pop3s=self.pop3s, pop3=self.pop3))
        self.process = subprocess.Popen([binary, "-F", "-c", str(root / "dovecot.conf")],
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.imaps), 0.5).close()
                socket.create_connection(("127.0.0.1", self.pop3s), 0.5).close()
                return
            except OSError:
                if self.process.poll() is not None:
                    break
                time.sleep(0.1)
        self.stop()
        log = (root / "dovecot.log").read_text() if (root / "dovecot.log").exists() else ""
        raise RuntimeError(f"dovecot did not start: {log[-2000:]}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        shutil.rmtree(self.root, ignore_errors=True)

    def imap(self) -> imaplib.IMAP4_SSL:
        context = ssl.create_default_context(cafile=self.cert)
        for attempt in range(20):
            conn = imaplib.IMAP4_SSL("127.0.0.1", self.imaps, ssl_context=context)
            try:
                conn.login(USER, PASSWORD)
                return conn
            except imaplib.IMAP4.error as exc:  # the auth process may still be starting
                if "UNAVAILABLE" not in str(exc) or attempt == 19:
                    log = (self.root / "dovecot.log").read_text()[-2000:]
                    raise AssertionError(f"{exc}; dovecot.log: {log}") from None
                conn.shutdown()
                time.sleep(0.5)
        raise AssertionError("unreachable")

    def deliver(self, raw: bytes, folder: str = "INBOX") -> None:
        """A mail arrives in the mailbox (IMAP APPEND, as a delivering server's LDA would)."""
        conn = self.imap()
        try:
            status, data = conn.append(folder, None, None, raw)
            assert status == "OK", data
        finally:
            conn.logout()

    def count(self, folder: str = "INBOX", criteria: str = "UNDELETED") -> int:
        conn = self.imap()
        try:
            conn.select(folder)
            _, data = conn.search(None, criteria)
            return len(data[0].split()) if data and data[0] else 0
        finally:
            conn.logout()

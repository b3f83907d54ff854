"""What a user installs: the package carries every file it reads, and the installed console script
starts the whole helpdesk from an empty folder and mails the reporter.

`.ci/run` builds the wheel, installs it into a fresh virtual environment outside the checkout and
runs this suite from a copy of `tests/`, with `HELPDESK_SOURCE_TREE` naming the checkout. There,
the tests below compare the installed package with the source tree; in a developer's editable
install they have nothing to compare and say so.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import stat
import subprocess
import sys
import time
import urllib.request
from email.message import EmailMessage
from pathlib import Path

import pytest

import lpse_helpdesk
from lpse_helpdesk.platform.natsserver import free_port
from mailsink import MailSink

SOURCE_TREE = os.environ.get("HELPDESK_SOURCE_TREE")
INSTALLED = Path(lpse_helpdesk.__file__).resolve().parent
CONSOLE_SCRIPT = Path(sys.executable).parent / "lpse-helpdesk"


def _source_tree() -> Path:
    if SOURCE_TREE:
        return Path(SOURCE_TREE).resolve()
    reason = "HELPDESK_SOURCE_TREE tidak diset: jalankan .ci/run untuk menguji paket terpasang"
    if os.environ.get("CI") == "true":
        pytest.fail(reason + " (CI=true)")
    pytest.skip(reason)


def _package_files(root: Path) -> set[Path]:
    return {p.relative_to(root) for p in root.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"}


def test_the_suite_imports_the_installed_package_not_the_source_tree():
    source = _source_tree()
    assert not INSTALLED.is_relative_to(source), f"{INSTALLED} is inside the checkout {source}"
    # A command started by a test (the CLI, up's worker) must see the same installed package.
    found = subprocess.run([sys.executable, "-c", "import lpse_helpdesk; print(lpse_helpdesk.__file__)"],
                           capture_output=True, text=True, check=True, cwd=Path(__file__).parent)
    assert not Path(found.stdout.strip()).resolve().is_relative_to(source), found.stdout


def test_the_installed_package_holds_every_file_of_the_source_package():
    source = _source_tree() / "lpse_helpdesk"
    missing = sorted(str(p) for p in _package_files(source) - _package_files(INSTALLED))
    assert not missing, f"missing from the installed package: {missing}"


def test_the_runtime_files_are_found_inside_the_package():
    """Holds in any install: the standards, templates and data are read from the package."""
    from lpse_helpdesk.services.notify import messages
    from lpse_helpdesk.services.triage import accuracy, classifier
    from lpse_helpdesk.standards import default_standards_dir, load_standards

    if "HELPDESK_STANDARDS_DIR" not in os.environ:
        assert default_standards_dir().resolve().is_relative_to(INSTALLED)
        assert sorted(load_standards()) == ["basarnas", "batam", "batubara", "lampung", "tuban"]
    for path in (accuracy.DEFAULT_PATH, classifier.TRAINING_FILE):
        assert path.resolve().is_relative_to(INSTALLED) and path.stat().st_size > 0
    templates = set(messages._text.list_templates())
    assert {"received.txt", "closed.txt", "staff_new.txt"} <= templates


async def _plain_connection_refused(port: int) -> str:
    import nats

    try:
        await nats.connect(f"nats://127.0.0.1:{port}", allow_reconnect=False,
                           max_reconnect_attempts=0, connect_timeout=2)
    except Exception as exc:  # noqa: BLE001 - the refusal is what the test wants
        return str(exc)
    return "connected"


def _read_banner(proc: subprocess.Popen, until: str, timeout: float = 90) -> list[str]:
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if until in line:
            return lines
    raise AssertionError(f"`up` printed no {until!r}: {lines}\n{proc.stderr.read() if proc.poll() is not None else ''}")


def test_up_from_an_empty_folder_takes_a_ticket_and_mails_the_receipt(tmp_path):
    sink = MailSink()
    sink.start()
    http_port, nats_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HELPDESK_")}
    env.update(PYTHONUNBUFFERED="1", HELPDESK_SMTP_URL=sink.url)
    proc = subprocess.Popen(
        [str(CONSOLE_SCRIPT), "up", "--http-port", str(http_port),
         "--smtp-port", str(free_port()), "--nats-port", str(nats_port)],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=lambda: os.umask(0o022))
    try:
        _read_banner(proc, "Ctrl-C")
        data = tmp_path / "helpdesk-data"  # the default data folder, in the cwd
        # Private although `up` was started with umask 022.
        assert stat.S_IMODE(data.stat().st_mode) == 0o700
        for path in data.rglob("*"):
            assert stat.S_IMODE(path.lstat().st_mode) & 0o077 == 0, (path, oct(path.lstat().st_mode))
        # The bus has users: a plain connection is refused; downstream systems get their URL.
        subscriber = (data / "nats-subscriber.url").read_text().strip()
        assert subscriber.startswith("nats://pelanggan:") and subscriber.endswith(f":{nats_port}")
        assert "Authorization" in asyncio.run(_plain_connection_refused(nats_port))
        body = {"tenant": "tuban", "channel": "web",
                "reporter": {"name": "Sri Wahyuni", "email": "sri@contoh.id", "phone": "0356 327987"},
                "documents": {"id_card": "KTP terlampir"},
                "subject": "Lupa password SPSE", "description": "Mohon reset password akun SPSE."}
        request = urllib.request.Request(
            f"http://127.0.0.1:{http_port}/api/v1/tickets", data=json.dumps(body).encode(),
            headers={"content-type": "application/json"}, method="POST")
        with urllib.request.urlopen(request, timeout=20) as response:
            assert response.status == 201
            number = json.load(response)["number"]

        deadline = time.monotonic() + 60
        receipts: list[EmailMessage] = []
        while not receipts and time.monotonic() < deadline:
            receipts = [m for to, m in sink.messages if to == "sri@contoh.id"]
            time.sleep(0.2)
        assert receipts, f"no receipt mail; sink holds {sink.deliveries()}"
        assert number in str(receipts[0]["Subject"])
        assert number in receipts[0].get_body(("plain",)).get_content()

        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        sink.stop()

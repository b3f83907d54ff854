"""`lpse-helpdesk up` on a machine where its ports are taken: without a flag it moves to the
next free port and says so; a port given as a flag stays the user's choice, or an error."""

from __future__ import annotations

import os
import shlex
import signal
import socket
import subprocess
import time
import urllib.request

import pytest

from lpse_helpdesk.platform.natsserver import free_port
from test_cli_up import CLI, _pids_using


def _env(**settings: str) -> dict[str, str]:
    """This environment without the developer's own `HELPDESK_*` settings, plus `settings`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HELPDESK_")}
    return {**env, "PYTHONUNBUFFERED": "1", **settings}


def _listening() -> socket.socket:
    """A port held by another process's listener, as a foreign NATS holds 4222."""
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    return taken


@pytest.mark.parametrize("flag", ["--http-port", "--smtp-port"])
def test_up_refuses_a_taken_port_given_as_a_flag_and_names_the_flag(tmp_path, flag):
    ports = {"--nats-port": free_port(), "--http-port": free_port(), "--smtp-port": free_port()}
    with _listening() as taken:
        port = ports[flag] = taken.getsockname()[1]
        result = subprocess.run(
            [*CLI, "up", "--data-dir", str(tmp_path),
             *(str(word) for pair in ports.items() for word in pair)],
            capture_output=True, text=True, timeout=60, env=_env())
    assert result.returncode == 2
    assert f"Port {port} ({flag}) sudah dipakai" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr and "memakai" not in result.stdout
    assert _pids_using(tmp_path) == []


def _banner(proc: subprocess.Popen, timeout: float = 60) -> list[str]:
    lines, deadline = [], time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        lines.append(line)
        if "Ctrl-C" in line or not line:
            return lines
    raise AssertionError(f"`up` tidak siap: {lines}")


def test_up_without_flags_moves_off_taken_ports_and_says_so(tmp_path):
    """The first ports `up` tries come from the HELPDESK_*_PORT settings here (8000, 2525 and
    4222 otherwise, which a test must not take from the machine's other processes)."""
    with _listening() as nats_taken, _listening() as http_taken:
        nats_port, http_port = nats_taken.getsockname()[1], http_taken.getsockname()[1]
        proc = subprocess.Popen(
            [*CLI, "up", "--data-dir", str(tmp_path)], stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True,
            env=_env(HELPDESK_NATS_PORT=str(nats_port), HELPDESK_HTTP_PORT=str(http_port),
                     HELPDESK_SMTP_PORT=str(free_port())))
        try:
            lines = _banner(proc)
            text = "".join(lines)
            moved = {}
            for label, wanted in (("NATS", nats_port), ("HTTP", http_port)):
                said = [x for x in lines if f"Port {label} {wanted} sudah dipakai; memakai" in x]
                assert len(said) == 1, text
                moved[label] = int(said[0].split("memakai ")[1].split(".")[0])
                assert moved[label] != wanted
                assert f"{label} port {wanted} is taken; using {moved[label]}." in said[0]
            assert f"nats://127.0.0.1:{moved['NATS']}" in text, text
            assert f"http://127.0.0.1:{moved['HTTP']}/api/v1/tickets" in text, text
            with urllib.request.urlopen(f"http://127.0.0.1:{moved['HTTP']}/health",
                                        timeout=10) as response:
                assert response.status == 200
            # The banner's command for the first staff account names this data folder.
            command = next(x.strip() for x in lines
                           if x.strip().startswith("lpse-helpdesk users add"))
            assert command == ("lpse-helpdesk users add --data-dir"
                               f" {tmp_path.resolve()} --tenant '*' --username admin"
                               " --role admin"), command
            proc.send_signal(signal.SIGINT)
            assert proc.wait(timeout=30) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    deadline = time.monotonic() + 5
    while _pids_using(tmp_path) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _pids_using(tmp_path) == []
    # That command works as printed (run here through this interpreter, not the script).
    added = subprocess.run([*CLI, *shlex.split(command)[1:]], input="rahasia-sekali-123\n",
                           capture_output=True, text=True, timeout=60, env=_env())
    assert added.returncode == 0, added.stderr
    assert "Pengguna `admin` (admin, unit *) dibuat" in added.stdout
    assert "Folder data baru" not in added.stdout  # `up` made it already

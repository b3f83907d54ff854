"""Bad arguments and settings, as a user types them: one line on stderr naming what is wrong,
exit code 2, never a traceback. Each case runs the command line in its own process, in an empty
folder, with no `HELPDESK_*` setting but the case's own, so nothing reaches a NATS or a store."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

CLI = [sys.executable, "-m", "lpse_helpdesk.cli"]


def refused(folder, args: list[str], **settings: str) -> str:
    """The one line `args` is refused with (asserted: exit 2, one line, no traceback)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HELPDESK_")}
    result = subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=60,
                            cwd=folder, env={**env, **settings})
    lines = result.stderr.splitlines()
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr and len(lines) == 1, result.stderr
    assert result.stdout == "", result.stdout
    return lines[0]


@pytest.mark.parametrize(("args", "named"), [
    (["run", "nosuch"], "service"),
    (["rebuild", "nosuch"], "service"),
    (["dead-letters", "list", "--service", "nosuch"], "--service"),
    (["dead-letters", "replay", "--seq", "-1"], "--seq"),
    (["dead-letters", "list", "--limit", "201"], "--limit"),
    (["webhooks", "list", "--limit", "0"], "--limit"),
    (["dead-letters", "list", "--after", "bukan-kursor"], "--after"),
    (["up", "--http-port", "99999"], "--http-port"),
    (["up", "--smtp-port", "0"], "--smtp-port"),
    (["up", "--nats-port", "65536"], "--nats-port"),
    (["up", "--http-port", "delapan"], "--http-port"),
    (["run", "desk", "--stream-replicas", "9"], "--stream-replicas"),
    (["run", "desk", "--nats", "localhost:4222"], "--nats"),
    (["dead-letters", "list", "--database", "mysql://root:rahasia@db/helpdesk"], "--database"),
    (["bench", "--tickets", "-5"], "--tickets"),
    (["bench", "--concurrency", "0"], "--concurrency"),
    (["bench", "--rate", "cepat"], "--rate"),
    (["users", "add", "--tenant", "batam", "--role", "admin"], "--username"),
])
def test_a_bad_argument_is_refused_in_one_line_naming_it(tmp_path, args, named):
    line = refused(tmp_path, args)
    assert named in line, line
    assert "rahasia" not in line  # a URL's password is not echoed back


@pytest.mark.parametrize(("setting", "value"), [
    ("HELPDESK_STREAM_REPLICAS", "abc"),
    ("HELPDESK_STREAM_REPLICAS", "0"),
    ("HELPDESK_HTTP_PORT", "99999"),
    ("HELPDESK_SMTP_PORT", "-25"),
    ("HELPDESK_NATS_PORT", "empat"),
    ("HELPDESK_NATS_URL", "127.0.0.1:4222"),
    ("HELPDESK_DATABASE_URL", "sqlite:///helpdesk.db"),
    ("HELPDESK_PUBLIC_URL", "helpdesk.lpse.go.id"),
])
def test_a_bad_setting_is_refused_in_one_line_naming_it(tmp_path, setting, value):
    # `dead-letters list` reads every setting and opens only the local store.
    line = refused(tmp_path, ["dead-letters", "list"], **{setting: value})
    assert setting in line and "tidak sah" in line, line


def test_up_refuses_a_bad_setting_before_it_starts_anything(tmp_path):
    line = refused(tmp_path, ["up"], HELPDESK_STREAM_REPLICAS="abc")
    assert "HELPDESK_STREAM_REPLICAS" in line, line
    assert list(tmp_path.iterdir()) == []  # no data folder, no nats-server store


def test_a_data_folder_that_is_a_file_is_refused(tmp_path):
    (tmp_path / "berkas").write_text("bukan folder")
    line = refused(tmp_path, ["dead-letters", "list", "--data-dir", "berkas"])
    assert "--data-dir" in line and "bukan folder" in line, line
    line = refused(tmp_path, ["dead-letters", "list"], HELPDESK_DATA_DIR="berkas")
    assert "HELPDESK_DATA_DIR" in line, line


def test_schemas_refuses_a_folder_it_cannot_write(tmp_path):
    # A path under a regular file cannot be created, even by root (the tests may run as root).
    (tmp_path / "berkas").write_text("bukan folder")
    line = refused(tmp_path, ["schemas", "--out", str(tmp_path / "berkas" / "skema")])
    assert "--out" in line and "berkas" in line, line


def test_the_version_is_printed_and_exits_zero():
    from importlib.metadata import version

    result = subprocess.run([*CLI, "--version"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"lpse-helpdesk {version('lpse-helpdesk')}"


def test_a_missing_or_weak_secret_is_refused_before_anything_starts(tmp_path):
    line = refused(tmp_path, ["run", "intake", "--nats", "nats://127.0.0.1:1"])
    assert "HELPDESK_SECRET wajib" in line, line
    for value in ("", "x", "rahasia"):
        line = refused(tmp_path, ["up", "--nats-port", "1"], HELPDESK_SECRET=value)
        assert "HELPDESK_SECRET terlalu pendek" in line, line
        assert not (tmp_path / "helpdesk-data").exists()
    (tmp_path / "helpdesk-data").mkdir()
    (tmp_path / "helpdesk-data" / "secret.key").write_text("")
    line = refused(tmp_path, ["up"])
    assert "secret.key terlalu pendek" in line, line
    assert not (tmp_path / "helpdesk-data" / "nats").exists()  # nothing was started

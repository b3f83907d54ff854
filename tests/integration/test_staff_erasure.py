"""A staff account's personal data erased by `personal-data erase-staff`: afterwards no byte
of its display name is left in the data folder's files; another account's stays."""

from __future__ import annotations

import io
import sys
from contextlib import redirect_stdout

from lpse_helpdesk.cli import main


def run(*args: str, stdin: str = "") -> tuple[int, str]:
    out, before = io.StringIO(), sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        with redirect_stdout(out):
            return main(list(args)), out.getvalue()
    finally:
        sys.stdin = before


def found(folder, text: str) -> list[str]:
    return [p.name for p in folder.rglob("*") if p.is_file() and text.encode() in p.read_bytes()]


def test_erase_staff_leaves_no_byte_of_the_display_name(tmp_path):
    data = str(tmp_path / "data")
    for username, name in (("dewi", "Dewi Sartikaqzx"), ("eko", "Eko Tetapadaqzx")):
        code, out = run("users", "add", "--data-dir", data, "--tenant", "batam", "--username",
                        username, "--role", "helpdesk", "--display-name", name,
                        stdin="rahasia-sekali-123\n")
        assert code == 0, out
    assert found(tmp_path, "Dewi Sartikaqzx")
    code, out = run("personal-data", "erase-staff", "--data-dir", data, "--username", "dewi")
    assert code == 0 and "dihapus" in out, out
    assert found(tmp_path, "Dewi Sartikaqzx") == []
    assert found(tmp_path, "Eko Tetapadaqzx")  # the other account is there: the walk can see
    code, _ = run("personal-data", "erase-staff", "--data-dir", data, "--username", "dewi")
    assert code == 1

"""The data folder is the helpdesk's alone: it holds every ticket, the staff's password hashes
and the signing key. Other local users must not read it, whatever umask the caller has."""

from __future__ import annotations

import functools
import os
import stat
from pathlib import Path


@functools.cache
def make_private(folder: Path) -> None:
    """The folder 0700 and everything in it 0700/0600, once per process and folder; and this
    process's umask 077, so what is made later (SQLite's WAL, JetStream's blocks, written by
    this process or by a nats-server it starts) is private too."""
    os.umask(0o077)
    folder.mkdir(parents=True, exist_ok=True)
    for path in (folder, *folder.rglob("*")):
        try:
            info = path.lstat()
        except FileNotFoundError:  # e.g. a SQLite journal that came and went
            continue
        if stat.S_ISLNK(info.st_mode) or not stat.S_IMODE(info.st_mode) & 0o077:
            continue
        os.chmod(path, 0o700 if stat.S_ISDIR(info.st_mode) else 0o600)

"""What an attached or uploaded file really is, from its bytes and its name.

The sender's label (a MIME part's Content-Type, an upload's header) is what a mail client
guessed or what an attacker wrote: swaks and many clients label every file
`application/octet-stream`, and nothing stops a program from being labelled `image/png`. So the
type a unit's `[attachments] types` list is checked against comes from the file's signature
(the `filetype` library: magic numbers for images, PDF, Office files, archives, executables),
and only a file with no signature at all is typed by its name, and then only as text: a name
ending in `.png` with bytes that are no PNG is not an image.
"""

from __future__ import annotations

import mimetypes

import filetype

UNKNOWN = "application/octet-stream"
SNIFF_BYTES = 8192  # filetype reads no further than this (Office files name their parts early)
# Types that have no signature: a name may give them, if the bytes are text.
TEXTUAL = frozenset({"text/plain", "text/csv"})


def _text(data: bytes) -> bool:
    head = data[:SNIFF_BYTES]
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start >= len(head) - 3  # a character cut at the end of the sample
    return True


def true_type(filename: str, declared: str, data: bytes) -> str:
    """The file's MIME type judged from its bytes, then its name; `declared` only breaks the
    tie for signature-less text. `application/octet-stream` when nothing can be told."""
    kind = filetype.guess_mime(data[:SNIFF_BYTES]) if data else None
    if kind:
        return kind
    named = mimetypes.guess_type(filename or "", strict=False)[0]
    declared = (declared or "").split(";")[0].strip().lower()
    for candidate in (named, declared):
        if candidate in TEXTUAL and _text(data):
            return candidate
    return UNKNOWN

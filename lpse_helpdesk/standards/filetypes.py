"""How a person reads a unit's accepted file types: `PNG, JPG, PDF, DOCX, XLSX`, not MIME types.

One table for every place that names them (the portal's form and its refusals, the upload API,
mail refusals), built from the unit's own `[attachments] types`, so a unit that accepts more
types shows more.
"""

from __future__ import annotations

from collections.abc import Iterable

# MIME type -> (the name people use, the file name endings a file chooser may offer).
KNOWN = {
    "image/png": ("PNG", (".png",)),
    "image/jpeg": ("JPG", (".jpg", ".jpeg")),
    "image/gif": ("GIF", (".gif",)),
    "image/webp": ("WEBP", (".webp",)),
    "application/pdf": ("PDF", (".pdf",)),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ("DOCX", (".docx",)),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ("XLSX", (".xlsx",)),
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": (
        "PPTX", (".pptx",)),
    "application/msword": ("DOC", (".doc",)),
    "application/vnd.ms-excel": ("XLS", (".xls",)),
    "application/zip": ("ZIP", (".zip",)),
    "text/plain": ("TXT", (".txt",)),
    "text/csv": ("CSV", (".csv",)),
    # Never accepted by the shipped units, but named in refusals.
    "application/x-msdownload": ("EXE", (".exe",)),
    "application/x-dosexec": ("EXE", (".exe",)),
    "application/x-sh": ("SH", (".sh",)),
    "application/x-rar-compressed": ("RAR", (".rar",)),
}


def label(mime: str) -> str:
    """`image/jpeg` -> `JPG`; a type not in the table by its last part, upper case."""
    known = KNOWN.get(mime)
    if known:
        return known[0]
    tail = mime.rpartition("/")[2].removeprefix("x-").split("+")[0].rpartition(".")[2]
    return (tail or "berkas").upper()[:12]


def labels(types: Iterable[str]) -> str:
    """The accepted list as one phrase: `PNG, JPG, PDF, DOCX, XLSX`."""
    return ", ".join(dict.fromkeys(label(t) for t in types))


def accept(types: Iterable[str]) -> str:
    """The `accept` attribute of a file input: endings and types, so choosers filter by both."""
    parts: list[str] = []
    for mime in types:
        parts += [*KNOWN.get(mime, ("", ()))[1], mime]
    return ",".join(dict.fromkeys(parts))

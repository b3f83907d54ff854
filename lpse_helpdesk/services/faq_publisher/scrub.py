"""Removing who asked from a question before it becomes a public FAQ entry.

Taken out: email addresses, URLs carrying tokens, ticket numbers, NPWP, NIK (16 digits), phone
numbers, and the reporter's own name and organisation where they gave them. Each kind is
replaced by a neutral placeholder and counted, so the reviewer sees what was removed.
Order matters: NPWP and NIK before phone numbers, which would otherwise eat their digits.
"""

from __future__ import annotations

import re
from collections import Counter

PATTERNS: list[tuple[str, re.Pattern, str]] = [
    ("email", re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "[email]"),
    ("URL bertoken", re.compile(r"https?://\S*(?:token|key|sig|auth|session)=\S*", re.I), "[tautan]"),
    ("nomor tiket", re.compile(r"\b[A-Z]{3}-\d{4}-\d{6}\b"), "[nomor tiket]"),
    ("NPWP", re.compile(r"\b\d{2}\.\d{3}\.\d{3}\.\d-\d{3}\.\d{3}\b|\bNPWP\s*:?\s*\d[\d.\- ]{13,20}\d", re.I),
     "[NPWP]"),
    ("NIK", re.compile(r"\b\d{16}\b"), "[NIK]"),
    ("telepon", re.compile(r"(?<!\w)(?:\+62|62|0)[\s-]?8\d{1,3}(?:[\s-]?\d{3,4}){2,3}\b"
                           r"|\(0\d{2,3}\)\s?\d{3,4}[\s-]?\d{3,4}\b"), "[telepon]"),
]


def scrub(text: str, names: tuple[str, ...] = (), organizations: tuple[str, ...] = ()
          ) -> tuple[str, Counter]:
    """The text without personal data, and how many of each kind were removed."""
    removed: Counter = Counter()
    for kind, pattern, placeholder in PATTERNS:
        text, count = pattern.subn(placeholder, text)
        if count:
            removed[kind] += count
    for kind, values, placeholder in (("nama", names, "[nama]"),
                                      ("perusahaan/instansi", organizations, "[instansi]")):
        for value in sorted({v.strip() for v in values if len(v.strip()) >= 3}, key=len, reverse=True):
            text, count = re.subn(re.escape(value), placeholder, text, flags=re.I)
            if count:
                removed[kind] += count
            # A person's first name alone ("Pak Budi") is still them.
            for part in value.split():
                if kind == "nama" and len(part) >= 4:
                    text, count = re.subn(rf"\b{re.escape(part)}\b", placeholder, text, flags=re.I)
                    removed[kind] += count
    removed = +removed  # drop zero counts
    return text, removed

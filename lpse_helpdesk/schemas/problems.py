"""The error body's list of every fault of a request (`ErrorBody.problems`, platform/apidoc.py)."""

from __future__ import annotations

import msgspec


class Problem(msgspec.Struct, frozen=True, kw_only=True):
    """One thing wrong with a request, in plain Indonesian: `field` as the API names it
    (`reporter.email`, `documents.company_npwp`, `fields.kode_tender`, `attachments`) and a
    sentence naming it as the portal's form labels it. An error body's `problems` lists every
    one found at once; its `field` is the first."""

    field: str
    message: str

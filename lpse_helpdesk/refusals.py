"""Domain refusals: why a service will not do what it was asked, with no HTTP in them.

Services and their decisions raise these; the HTTP layer maps each type to one status in one
place (`platform/http.py`, `STATUS_OF`), and the mail and CLI entrypoints turn them into their
own answers. `field` names the input at fault when there is one; `missing` lists the documents
a unit's standard asks for that the request lacks. This module imports nothing of the package,
so any layer may raise them.
"""

from __future__ import annotations

from collections.abc import Sequence


class Refusal(Exception):
    def __init__(self, message: str, *, field: str | None = None,
                 missing: Sequence[str] = ()):
        super().__init__(message)
        self.message = message
        self.field = field
        self.missing = list(missing)


class Invalid(Refusal):
    """The input breaks a rule a schema cannot express."""


class NotAuthenticated(Refusal):
    """Wrong or missing credentials."""


class Forbidden(Refusal):
    """The caller's role or unit may not do this."""


class NotFound(Refusal):
    """No such thing, or (for a reporter) not theirs: answered alike, so ids cannot be probed."""


class Conflict(Refusal):
    """The current state refuses it, or another decision won the race."""


class TooLarge(Refusal):
    """Bigger than the bound for it."""


class UnsupportedType(Refusal):
    """A file type the unit does not accept."""


class KeyReused(Refusal):
    """The same idempotency key with a different request."""


class TooMany(Refusal):
    """A quota or a lock-out: try again later."""

    def __init__(self, message: str, *, retry_after: int | None = None, **kwargs):
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class Unavailable(Refusal):
    """A part it needs (NATS, the attachment store) is down for now."""


class StorageFull(Refusal):
    """The attachment store has no room."""

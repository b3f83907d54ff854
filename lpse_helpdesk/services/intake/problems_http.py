"""`POST /api/v1/tickets` refused: the app's usual error body, plus every problem at once.

The body stays the documented `ErrorBody` (`field` and `detail` name the first fault, as the
decoder or the unit's standard found it); `problems` adds the whole list from
`problems.ticket_problems`, so a client fixes everything in one round. Other routes of the
router are answered exactly as the app answers them.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import ValidationException
from litestar.utils.scope.state import ScopeState

from ... import refusals
from ...schemas.problems import Problem
from .problems import label_of, ticket_problems


def _body(request: Request) -> Any:
    raw = ScopeState.from_scope(request.scope).body  # read (and kept) by the decoder
    try:
        return msgspec.json.decode(raw) if isinstance(raw, bytes) else None
    except msgspec.DecodeError:
        return None


def _first(field: str, detail: str, exc: Exception, standard) -> Problem:
    """The app's own first problem, said without code names (its detail is for developers)."""
    message = getattr(exc, "message", "") if isinstance(exc, refusals.Refusal) else ""
    text = (message or detail).split(" / ")[0]
    return Problem(field=field, message=f"{label_of(field, standard)}: {text}".replace("`", ""))


def handlers(standards: dict) -> dict:
    """Router-level handlers for the decoder's and the services' 400s."""

    def answer(request: Request, exc: Exception) -> Response:
        app = request.app.exception_handlers
        response = next(app[kind] for kind in type(exc).__mro__ if kind in app)(request, exc)
        handler = request.scope.get("route_handler")
        if (getattr(handler, "handler_name", "") != "create_ticket" or response.status_code != 400
                or not isinstance(response.content, dict)):
            return response
        body = _body(request)
        tenant = body.get("tenant") if isinstance(body, dict) else None
        standard = standards.get(tenant) if isinstance(tenant, str) else None  # any JSON here
        found = ticket_problems(body, standard)
        missing = [*getattr(exc, "missing", [])]
        found += [Problem(field=path, message=f"{label_of(path, standard)} wajib diisi.")
                  for path in missing if path not in {p.field for p in found}]
        field = response.content.get("field")
        if field and field not in {p.field for p in found}:
            found.insert(0, _first(field, response.content.get("detail", ""), exc, standard))
        # The first listed is the one `field` names.
        found.sort(key=lambda p: p.field != field)
        if not found:  # not a ticket's body at all (e.g. not JSON): the usual answer
            return response
        content = {**response.content, "problems": msgspec.to_builtins(found)}
        return Response(content, status_code=400, headers=response.headers)

    return {ValidationException: answer, refusals.Invalid: answer}

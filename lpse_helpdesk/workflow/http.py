"""HTTP for decisions on a ticket, shared by the services that own them.

- Staff actions, `POST /api/v1/tickets/{number}/{action}`: a `TicketActions` controller with
  one handler per action (`action`); the body is validated by msgspec, the caller must be staff,
  and the owning service (the `service` dependency) decides with `act(action, number, body,
  staff)` in a worker thread.
- The reporter's own calls with their access token (`as_reporter`): replies, feedback, the
  survey. A wrong token and an unknown number get the same 404, so numbers cannot be probed.

Refusals are answered by the app's handler (`platform/http.py`, `STATUS_OF`); `TICKET_REFUSALS`
answers a lost race between two decisions on one ticket as the conflict it is.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Annotated, Any

from litestar import Controller, Request, Response, post
from litestar.params import QueryParameter

from .. import refusals
from ..platform.apidoc import ACTION_DESCRIPTIONS
from ..platform.auth import Principal, staff_login
from ..platform.http import errors, refusal_response
from ..platform.store import IntegrityError
from ..schemas.api import ActionResult

ReporterToken = Annotated[str | None, QueryParameter(name="token", required=False, max_length=200)]


def _raced(request: Request, exc: IntegrityError) -> Response:
    """Two decisions on one ticket raced; the store's unique version refused the loser."""
    number = request.path_params.get("number", "")
    return refusal_response(request, refusals.Conflict(
        f"Tiket {number} baru saja diubah; muat ulang lalu coba lagi / another decision on "
        "this ticket won the race"))


# For the controllers (or handlers) of routes that decide on a ticket.
TICKET_REFUSALS = {IntegrityError: _raced}


async def as_reporter(number: str, token: str | None, decide: Callable, *args):
    """`decide(number, token, *args)` in a worker thread, for the reporter holding `token`
    (its route has the `auth.reporter_or_staff` guard, so a missing token never gets here)."""
    return await asyncio.to_thread(decide, number, token or "", *args)


class TicketActions(Controller):
    """Base of a service's staff actions on a ticket: one `action(...)` attribute each."""

    path = "/api/v1/tickets/{number:str}"
    guards = [staff_login]
    tags = ["staf"]
    exception_handlers = TICKET_REFUSALS


def action(name: str, body_type: type, result_type: type = ActionResult):
    """The handler of one staff action for a `TicketActions` controller: the service's
    `act(name, number, body, staff)` runs in a worker thread and returns a `result_type`."""

    async def handler(self, number: str, data, staff: Principal, service: Any):
        return await asyncio.to_thread(service.act, name, number, data, staff)

    handler.__name__ = f"ticket_{name.replace('-', '_')}"
    # Set here, not in the signature: Litestar reads the body type from the annotations.
    handler.__annotations__ = {"number": str, "data": body_type, "staff": Principal,
                               "service": Any, "return": result_type}
    return post(f"/{name}", status_code=200, summary=f"Aksi staf: {name}",
                description=ACTION_DESCRIPTIONS.get(name),
                # 503: the decision guard needs NATS (workflow/guard.py BusUnavailable)
                responses=errors(401, 403, 404, 409, 503))(handler)


def actions_controller(name: str, actions: dict[str, type]) -> type[TicketActions]:
    """A `TicketActions` controller with a handler for each `{action: body type}`."""
    handlers = {f"ticket_{key.replace('-', '_')}": action(key, body)
                for key, body in actions.items()}
    return type(name, (TicketActions,), handlers)

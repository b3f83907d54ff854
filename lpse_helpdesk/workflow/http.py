"""HTTP plumbing for decisions on a ticket, shared by the services that own them.

- Staff actions, `POST /api/v1/tickets/{number}/{action}` (`action_route`): the body is
  validated by msgspec, the caller must be staff.
- The reporter's own calls with their access token (`as_reporter`): replies, feedback, the
  survey. A wrong token and an unknown number get the same 404, so numbers cannot be probed.

Either way the owning service decides in a worker thread, and its refusals map to 403/404/409
with the reason (`refusals`).
"""

import asyncio
import contextlib
from collections.abc import Callable, Iterator
from typing import Annotated

from litestar import Request, post
from litestar.exceptions import HTTPException
from litestar.params import FromPath, JSONBody, QueryParameter

from ..platform.auth import Principal, TokenSigner, require_staff, staff_login
from ..platform.http import errors
from ..platform.store import IntegrityError
from ..schemas.api import ActionResult
from .rules import ActionRefused, TicketNotFound


ReporterToken = Annotated[str | None, QueryParameter(name="token", required=False, max_length=200)]


def ticket_not_found(number: str) -> HTTPException:
    return HTTPException(status_code=404, detail=(
        f"Tiket {number} tidak ditemukan atau token salah / not found"))


@contextlib.contextmanager
def refusals(number: str) -> Iterator[None]:
    """A decision's refusals as HTTP answers."""
    try:
        yield
    except TicketNotFound:
        raise ticket_not_found(number) from None
    except ActionRefused as exc:
        raise HTTPException(status_code=exc.status_code, detail=str(exc)) from None
    except IntegrityError:
        raise HTTPException(status_code=409, detail=(
            f"Tiket {number} baru saja diubah; muat ulang lalu coba lagi / another decision on "
            "this ticket won the race")) from None


async def as_reporter(number: str, token: str | None, decide: Callable, *args):
    """`decide(number, token, *args)` in a worker thread, for the reporter holding `token`
    (its route has the `auth.reporter_or_staff` guard, so a missing token never gets here)."""
    with refusals(number):
        return await asyncio.to_thread(decide, number, token or "", *args)


def action_route(action: str, body_type: type, signer: TokenSigner,
                 decide: Callable[[str, object, Principal], object],
                 result_type: type = ActionResult):
    """A route for one action; `decide(number, body, staff)` runs in a worker thread and
    returns a `result_type`; it refuses with TicketNotFound or ActionRefused."""

    async def handler(request, number, data):
        staff = require_staff(request, signer)
        with refusals(number):
            return await asyncio.to_thread(decide, number, data, staff)

    handler.__name__ = f"ticket_{action.replace('-', '_')}"
    # Set here, not in the signature: Litestar reads the body type from the annotations.
    handler.__annotations__ = {"request": Request, "number": FromPath[str],
                               "data": JSONBody[body_type], "return": result_type}
    return post(f"/api/v1/tickets/{{number:str}}/{action}", status_code=200, tags=["staf"],
                guards=[staff_login],
                summary=f"Aksi staf: {action}",
                # 503: the decision guard needs NATS (workflow/guard.py BusUnavailable)
                responses=errors(401, 403, 404, 409, 503))(handler)

"""HTTP plumbing for staff actions on a ticket, shared by the services that own them.

`POST /api/v1/tickets/{number}/{action}`: the body is validated by msgspec, the caller must be
staff; the owning service decides and the refusals map to 403/404/409 with the reason.
"""

import asyncio
from collections.abc import Callable

from litestar import Request, post
from litestar.exceptions import HTTPException
from litestar.params import FromPath, JSONBody

from ..platform.auth import Principal, TokenSigner, require_staff
from ..platform.http import errors
from ..platform.store import IntegrityError
from ..schemas.api import ActionResult
from .rules import ActionRefused, TicketNotFound


def action_route(action: str, body_type: type, signer: TokenSigner,
                 decide: Callable[[str, object, Principal], object],
                 result_type: type = ActionResult):
    """A route for one action; `decide(number, body, staff)` runs in a worker thread and
    returns a `result_type`; it refuses with TicketNotFound or ActionRefused."""

    async def handler(request, number, data):
        staff = require_staff(request, signer)
        try:
            return await asyncio.to_thread(decide, number, data, staff)
        except TicketNotFound:
            raise HTTPException(status_code=404, detail=f"Tiket {number} tidak ditemukan") from None
        except ActionRefused as exc:
            raise HTTPException(status_code=exc.status_code, detail=str(exc)) from None
        except IntegrityError:
            raise HTTPException(status_code=409, detail=(
                f"Tiket {number} baru saja diubah staf lain; muat ulang lalu coba lagi / "
                "another action on this ticket won the race")) from None

    handler.__name__ = f"ticket_{action.replace('-', '_')}"
    # Set here, not in the signature: Litestar reads the body type from the annotations.
    handler.__annotations__ = {"request": Request, "number": FromPath[str],
                               "data": JSONBody[body_type], "return": result_type}
    return post(f"/api/v1/tickets/{{number:str}}/{action}", status_code=200, tags=["staf"],
                summary=f"Aksi staf: {action}",
                # 503: the decision guard needs NATS (workflow/guard.py BusUnavailable)
                responses=errors(401, 403, 404, 409, 503))(handler)

"""Intake's HTTP entrypoint: translate `POST /api/v1/tickets` into `IntakeService.submit`."""

from __future__ import annotations

import asyncio
from typing import Annotated

from litestar import Response, post
from litestar.exceptions import HTTPException
from litestar.params import HeaderParameter, JSONBody

from ...schemas.api import NewTicket, TicketCreated
from .application import IdempotencyMismatch, IntakeService, UnknownTenant
from .requirements import RequirementsNotMet


def routes(service: IntakeService) -> list:
    @post("/api/v1/tickets", summary="Buat tiket baru / create a ticket", tags=["tiket"])
    async def create_ticket(
        data: JSONBody[NewTicket],
        idempotency_key: Annotated[
            str | None, HeaderParameter(name="Idempotency-Key", max_length=200, required=False)
        ] = None,
    ) -> Response[TicketCreated]:
        try:
            result = await asyncio.to_thread(service.submit, data, idempotency_key)
        except UnknownTenant as exc:
            raise HTTPException(status_code=400, detail=f"Kolom `tenant`: {exc}",
                                extra={"field": "tenant"}) from None
        except RequirementsNotMet as exc:
            raise HTTPException(status_code=400, detail=str(exc),
                                extra={"field": exc.missing[0], "missing": exc.missing}) from None
        except IdempotencyMismatch as exc:
            raise HTTPException(status_code=422, detail=str(exc),
                                extra={"field": "Idempotency-Key"}) from None
        headers = {"Idempotent-Replayed": "true"} if result.replayed else {}
        return Response(result.created, status_code=201, headers=headers)

    return [create_ticket]

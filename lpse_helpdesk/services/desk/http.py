"""Desk's HTTP entrypoint: the ticket view (`GET /api/v1/tickets/{number}`)."""

from __future__ import annotations

import asyncio
from typing import Annotated

from litestar import get
from litestar.exceptions import HTTPException
from litestar.params import FromPath, QueryParameter

from ...schemas.api import TicketView
from .application import DeskService, TicketNotFound


def routes(service: DeskService) -> list:
    @get("/api/v1/tickets/{number:str}", summary="Lihat tiket / view a ticket", tags=["tiket"])
    async def view_ticket(
        number: FromPath[str],
        token: Annotated[
            str | None, QueryParameter(name="token", required=False, max_length=200)
        ] = None,
    ) -> TicketView:
        if not token:
            raise HTTPException(
                status_code=401,
                detail="Sertakan `token` akses pelapor (query ?token=) / reporter access token "
                "required",
                extra={"field": "token"},
            )
        try:
            return await asyncio.to_thread(service.ticket_for_reporter, number, token)
        except TicketNotFound:
            raise HTTPException(
                status_code=404,
                detail=f"Tiket {number} tidak ditemukan atau token salah / not found",
            ) from None

    return [view_ticket]

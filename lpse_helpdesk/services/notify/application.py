"""notify: emails and webhooks to reporters, staff and downstream systems. Its decisions arrive with issue 6; today it runs its store and outbox."""

from __future__ import annotations

from ...platform.service import ServiceContext


class NotifyService:
    def __init__(self, ctx: ServiceContext):
        self.store = ctx.store
        self.standards = ctx.standards

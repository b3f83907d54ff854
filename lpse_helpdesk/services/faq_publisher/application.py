"""faq_publisher: closed, publishable tickets become FAQ entries (owns FAQ drafted/published). Its decisions arrive with issue 7; today it runs its store and outbox."""

from __future__ import annotations

from ...platform.service import ServiceContext


class FaqPublisherService:
    def __init__(self, ctx: ServiceContext):
        self.store = ctx.store
        self.standards = ctx.standards

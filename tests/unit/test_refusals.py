"""Each domain refusal maps to one HTTP status, in one place."""

import pytest

from lpse_helpdesk import refusals
from lpse_helpdesk.platform.http import STATUS_OF, status_of


@pytest.mark.parametrize("kind, code", [
    (refusals.Invalid, 400), (refusals.NotAuthenticated, 401), (refusals.Forbidden, 403),
    (refusals.NotFound, 404), (refusals.Conflict, 409), (refusals.TooLarge, 413),
    (refusals.UnsupportedType, 415), (refusals.KeyReused, 422), (refusals.TooMany, 429),
    (refusals.Unavailable, 503), (refusals.StorageFull, 507),
])
def test_each_refusal_has_its_status(kind, code):
    assert status_of(kind("x")) == code


def test_every_refusal_type_is_mapped():
    kinds = {k for k in vars(refusals).values()
             if isinstance(k, type) and issubclass(k, refusals.Refusal) and k is not refusals.Refusal}
    assert kinds == set(STATUS_OF)


def test_a_subclass_takes_its_parents_status():
    class TicketGone(refusals.NotFound):
        pass
    assert status_of(TicketGone("tiket 1")) == 404

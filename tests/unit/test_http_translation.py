"""The HTTP layer translates and nothing more: a refusal raised by a service becomes its status
and the one error body; a route declares its error statuses and its guard says who may call it
(both in the OpenAPI document); a staff page without a session goes to the login page. All in
process (Litestar's test client), with no server or network."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import msgspec
from litestar import Controller, Litestar, get, post
from litestar.testing import TestClient

from lpse_helpdesk import refusals
from lpse_helpdesk.platform.auth import Principal, TokenSigner, authorize, staff_login
from lpse_helpdesk.platform.http import (build_http_app, errors, refused_as, service_routes,
                                         status_of)
from lpse_helpdesk.platform.observability import Metrics
from lpse_helpdesk.services.desk import users
from lpse_helpdesk.settings import Settings
from lpse_helpdesk.services.web.session import (SESSION_COOKIE, NotLoggedIn, login_again,
                                                provide_session, staff_session)

SIGNER = TokenSigner(b"k" * 32)


class Shelf:
    """A stand-in service: what the routes below call."""

    def __init__(self):
        self.books = {"1": "Pedoman LPSE"}

    def book(self, number: str) -> str:
        if number not in self.books:
            raise refusals.NotFound(f"buku {number} tidak ada", field="number")
        return self.books[number]


class Lent(Exception):
    """A service's own exception type, answered through `refused_as`."""


class Title(msgspec.Struct, forbid_unknown_fields=True):
    title: str


class ShelfController(Controller):
    path = "/api/v1/books"
    exception_handlers = {Lent: refused_as(lambda exc: refusals.Conflict(f"dipinjam: {exc}"))}

    @get("/{number:str}", responses=errors(404))
    async def read(self, number: str, service: Shelf) -> dict:
        return {"title": service.book(number)}

    @get("/{number:str}/lent", responses=errors(409))
    async def lent(self, number: str) -> dict:
        raise Lent(number)

    @post("/", guards=[staff_login], status_code=201, responses=errors(401, 403, 422))
    async def add(self, data: Title, staff: Principal, service: Shelf) -> dict:
        authorize(staff, roles=("admin",))
        if data.title in service.books.values():
            raise refusals.KeyReused("judul sudah ada", field="title", missing=["isbn"])
        raise refusals.TooMany("pelan-pelan", retry_after=7)


@dataclass
class Host:
    settings: object
    signer: TokenSigner
    metrics: Metrics

    def readiness(self) -> dict:
        return {"ready": True}


def app() -> Litestar:
    settings = Settings(data_dir=Path("/nonexistent"), public_url="http://helpdesk.test")
    return build_http_app(Host(settings, SIGNER, Metrics()),
                          [service_routes(Shelf(), ShelfController)])


def test_the_status_is_the_most_specific_refusal_type():
    assert status_of(users.UserExists("ada", "username")) == 409  # a Conflict and an Invalid
    assert status_of(users.UserError("salah", "role")) == 400
    assert status_of(users.OtpFailed("kode")) == 401
    assert users.OtpFailed("kode").field == "otp"


def test_a_refusal_is_answered_with_its_status_and_the_error_body():
    with TestClient(app()) as client:
        assert client.get("/api/v1/books/1").json() == {"title": "Pedoman LPSE"}
        r = client.get("/api/v1/books/9")
        assert r.status_code == 404
        assert r.json() == {"status_code": 404, "detail": "buku 9 tidak ada", "field": "number"}
        r = client.get("/api/v1/books/1/lent")
        assert (r.status_code, r.json()["detail"]) == (409, "dipinjam: 1")


def test_the_guard_and_the_staff_dependency():
    admin = SIGNER.issue("adm", "admin", "batam")
    helpdesk = SIGNER.issue("hd", "helpdesk", "batam")
    with TestClient(app()) as client:
        r = client.post("/api/v1/books", json={"title": "x"})
        assert r.status_code == 401 and r.json()["field"] is None
        r = client.post("/api/v1/books", json={"title": "x"},
                        headers={"Authorization": f"Bearer {helpdesk}"})
        assert r.status_code == 403 and "helpdesk" in r.json()["detail"]
        r = client.post("/api/v1/books", json={"title": "Pedoman LPSE"},
                        headers={"Authorization": f"Bearer {admin}"})
        assert r.status_code == 422
        assert r.json() == {"status_code": 422, "detail": "judul sudah ada", "field": "title",
                            "missing": ["isbn"]}
        r = client.post("/api/v1/books", json={"title": "baru"},
                        headers={"Authorization": f"Bearer {admin}"})
        assert (r.status_code, r.headers["retry-after"]) == (429, "7")


def test_the_document_has_each_routes_errors_and_who_may_call_it():
    with TestClient(app()) as client:
        doc = client.get("/schema/openapi.json").json()
    read = doc["paths"]["/api/v1/books/{number}"]["get"]
    add = doc["paths"]["/api/v1/books"]["post"]
    # Declared on the route, plus 400 (it reads input) and 413 (a body) from the framework.
    assert set(read["responses"]) == {"200", "400", "404"}
    assert set(add["responses"]) == {"201", "400", "401", "403", "413", "422"}
    assert read["security"] == [] and add["security"] == [{"staffBearer": []}]


class Page(Controller):
    path = "/staf/rak"
    guards = [staff_session]

    @get("/", media_type="text/plain")
    async def shelf(self, who: tuple[Principal, str]) -> str:
        return f"halo {who[0].username}"


def test_a_staff_page_without_a_session_goes_to_the_login_page():
    from litestar.datastructures import State
    from litestar.di import Provide

    pages = Litestar([Page], state=State({"signer": SIGNER}),
                     dependencies={"who": Provide(provide_session)},
                     exception_handlers={NotLoggedIn: login_again})
    with TestClient(pages) as client:
        r = client.get("/staf/rak?tenant=batam", follow_redirects=False)
        assert r.status_code == 303
        assert r.headers["location"] == "/staf/masuk?lanjut=%2Fstaf%2Frak%3Ftenant%3Dbatam"
        client.cookies.set(SESSION_COOKIE, "rusak")
        assert client.get("/staf/rak", follow_redirects=False).status_code == 303
        client.cookies.set(SESSION_COOKIE, SIGNER.issue("hd", "helpdesk", "batam"))
        r = client.get("/staf/rak", follow_redirects=False)
        assert (r.status_code, r.text) == (200, "halo hd")

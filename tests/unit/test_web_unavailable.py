"""When the API does not answer (a restart), every page says so on one page with 503, from the
web router's one handler: with the staff menu on staff pages, without it on the portal. In
process (Litestar's test client); the API address is a closed port."""

from __future__ import annotations

from litestar import Litestar
from litestar.datastructures import State
from litestar.testing import TestClient

from lpse_helpdesk.platform.auth import TokenSigner
from lpse_helpdesk.platform.service import ServiceContext
from lpse_helpdesk.services.web.application import WebFrontend
from lpse_helpdesk.services.web.http import routes
from lpse_helpdesk.services.web.session import SESSION_COOKIE
from lpse_helpdesk.settings import Settings
from lpse_helpdesk.standards import load_standards

SIGNER = TokenSigner(b"u" * 32)


def client(tmp_path) -> TestClient:
    settings = Settings(data_dir=tmp_path, api_url="http://127.0.0.1:1")
    web = WebFrontend(ServiceContext(settings, None, load_standards(), signer=SIGNER))
    app = Litestar(route_handlers=routes(web), state=State({"signer": SIGNER}))
    return TestClient(app)


def test_a_staff_page_without_the_api_says_so_with_the_menu(tmp_path):
    with client(tmp_path) as browser:
        browser.cookies.set(SESSION_COOKIE, SIGNER.issue("hd.btm", "helpdesk", "batam"))
        for path in ("/staf/antrean", "/staf/cari?q=spse", "/staf/pengguna", "/staf/siap-pakai"):
            answer = browser.get(path)
            assert answer.status_code == 503, (path, answer.text[:300])
            assert "dimulai ulang" in answer.text and "Keluar" in answer.text, path


def test_a_portal_page_without_the_api_says_so_without_a_menu(tmp_path):
    with client(tmp_path) as browser:
        browser.cookies.set(SESSION_COOKIE, SIGNER.issue("hd.btm", "helpdesk", "batam"))
        answer = browser.get("/portal/status", params={"nomor": "BTM-2026-000001",
                                                      "token": "x" * 20})
        assert answer.status_code == 503, answer.text[:300]
        assert "dimulai ulang" in answer.text and "Keluar" not in answer.text

"""Per-client rate limits at the anonymous doors: a flood from one address gets 429 with when to
try again, other addresses and staff go on, and the portal's visitors are counted one by one."""

from __future__ import annotations

from conftest import make_settings, running_helpdesk
from lpse_helpdesk.services.desk import users
from webclient import WebClient

PASSWORD = "kata-sandi-uji-123"


def _from(address: str) -> dict[str, str]:
    # uvicorn takes the client address from X-Forwarded-For when the peer is a trusted proxy
    # (loopback by default), as behind the shipped Caddy.
    return {"X-Forwarded-For": address}


async def test_a_flood_of_tickets_from_one_address_is_refused_after_the_limit(tmp_path, nats_server):
    settings = make_settings(tmp_path, nats_server.url, rate_tickets_per_minute=3,
                             rate_logins_per_minute=2, rate_votes_per_minute=2,
                             rate_uploads_per_minute=2)
    async with running_helpdesk(settings, services=["intake", "desk", "faq_publisher"]) as hd:
        # Attack 8's shape: posts with a stranger's address, as fast as possible.
        codes = []
        for i in range(6):
            r = await hd.http.post("/api/v1/tickets", headers=_from("203.0.113.7"), json={
                "tenant": "batam", "channel": "web", "subject": f"Halo {i}",
                "description": "Klik http://contoh.invalid/hadiah",
                "reporter": {"name": "http://contoh.invalid", "email": "korban@contoh.id"}})
            codes.append(r.status_code)
        assert codes == [201, 201, 201, 429, 429, 429], codes
        refused = r.json()
        assert "Terlalu banyak permintaan" in refused["detail"] and refused["field"] is None
        assert int(r.headers["RateLimit-Reset"]) <= 60

        # Another address, and staff from the same address, go on.
        other = await hd.http.post("/api/v1/tickets", headers=_from("198.51.100.2"), json={
                "tenant": "batam", "channel": "web", "subject": "Lupa sandi",
                "description": "Mohon reset", "reporter": {"name": "Sri"}})
        assert other.status_code == 201, other.text
        users.add_user(hd.runtime.service("desk").store, hd.runtime.standards, "batam",
                       "hd.btm", "helpdesk", PASSWORD)
        login = await hd.http.post("/api/v1/auth/token", headers=_from("198.51.100.2"),
                                   json={"username": "hd.btm", "password": PASSWORD})
        token = login.json()["access_token"]
        staff = await hd.http.post(
            "/api/v1/tickets", json={"tenant": "batam", "channel": "api", "subject": "Dari LPSE Support",
                                     "description": "Tanya jadwal", "reporter": {"name": "Budi"}},
            headers={**_from("203.0.113.7"), "Authorization": f"Bearer {token}"})
        assert staff.status_code == 201, staff.text

        # Each door counts apart: logins, uploads and FAQ votes have their own limits.
        logins = [(await hd.http.post("/api/v1/auth/token", headers=_from("203.0.113.9"),
                                      json={"username": "hd.btm", "password": "salah"})).status_code
                  for _ in range(3)]
        assert logins == [401, 401, 429], logins
        uploads = [(await hd.http.post("/api/v1/attachments", params={"tenant": "batam"},
                                       content=b"%PDF-1.4 uji", headers={
                                           **_from("203.0.113.9"),
                                           "Content-Type": "application/pdf"})).status_code
                   for _ in range(3)]
        assert uploads[-1] == 429 and 429 not in uploads[:2], uploads
        entry = "00000000-0000-4000-8000-000000000000"
        votes = [(await hd.http.post(f"/api/v1/faq/{entry}/helpful", headers=_from("203.0.113.9"),
                                     json={"helpful": True})).status_code for _ in range(3)]
        assert votes[-1] == 429 and 429 not in votes[:2], votes


async def test_the_portal_counts_its_visitors_not_itself(tmp_path, nats_server):
    settings = make_settings(tmp_path, nats_server.url, rate_tickets_per_minute=1)
    async with running_helpdesk(settings, services=["intake", "web"]) as hd:
        base = str(hd.http.base_url)
        form = {"name": "Sri", "email": "sri@contoh.id", "phone": "0812345678",
                "subject": "Tidak bisa login", "description": "Mohon bantuan"}
        answers = {}
        for visitor in ("203.0.113.10", "203.0.113.11", "203.0.113.10"):
            async with WebClient(base) as web:
                web.http.headers.update(_from(visitor))
                page = "/portal/batam/tiket-baru"
                r = await web.form(page, form, page=page)
                answers.setdefault(visitor, []).append(r.status_code)
        assert answers["203.0.113.11"] == [303], answers  # a second visitor is not refused
        first, again = answers["203.0.113.10"]
        assert first == 303 and again == 429, answers

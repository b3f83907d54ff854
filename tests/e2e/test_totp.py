"""The staff second factor: enrolment, logins that need the code once enrolled or
when the unit requires it, wrong codes counted toward the lock-out, replayed codes refused, the
admin's switches (require per unit, reset a user's factor), the login form and the admin page."""

from __future__ import annotations

import re
import time

import pyotp
from conftest import make_settings, running_helpdesk
from scenario import PASSWORD, Desk
from webclient import WebClient, text_of


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


async def login(hd, username: str, otp: str | None = None, password: str = PASSWORD):
    body = {"username": username, "password": password}
    if otp is not None:
        body["otp"] = otp
    return await hd.http.post("/api/v1/auth/token", json=body)


def code(secret: str, steps_ahead: int = 0) -> str:
    return pyotp.TOTP(secret).at(time.time() + 30 * steps_ahead)


def wrong_code(secret: str) -> str:
    near = {code(secret, k) for k in (-1, 0, 1, 2)}
    return next(c for c in ("123456", "654321", "000000") if c not in near)


async def enrol(hd, token: str) -> str:
    started = await hd.http.post("/api/v1/auth/totp/enroll", headers=bearer(token))
    assert started.status_code == 200, started.text
    secret = started.json()["secret"]
    assert started.json()["otpauth_uri"].startswith("otpauth://totp/")
    done = await hd.http.post("/api/v1/auth/totp/confirm", headers=bearer(token),
                              json={"otp": code(secret)})
    assert done.status_code == 200 and done.json() == {"enrolled": True}, done.text
    return secret


async def test_enrolled_logins_need_the_code_and_wrong_codes_count(
        tmp_path, nats_server, database_url):
    settings = make_settings(tmp_path, nats_server.url, database_url)
    async with running_helpdesk(settings, services=["desk"]) as hd:
        desk = Desk(hd, "batam")
        await desk.staff("hd.btm", "helpdesk")
        token = desk.tokens["hd.btm"]

        started = await hd.http.post("/api/v1/auth/totp/enroll", headers=bearer(token))
        secret = started.json()["secret"]
        wrong = await hd.http.post("/api/v1/auth/totp/confirm", headers=bearer(token),
                                   json={"otp": wrong_code(secret)})
        assert wrong.status_code == 400 and wrong.json()["field"] == "otp"
        assert (await login(hd, "hd.btm")).status_code == 200  # not active until confirmed
        ok = await hd.http.post("/api/v1/auth/totp/confirm", headers=bearer(token),
                                json={"otp": code(secret)})
        assert ok.status_code == 200, ok.text
        again = await hd.http.post("/api/v1/auth/totp/enroll", headers=bearer(token))
        assert again.status_code == 409  # a session cannot swap the factor

        missing = await login(hd, "hd.btm")
        assert missing.status_code == 401 and missing.json()["field"] == "otp"
        assert "wajib" in missing.json()["detail"]
        bad = await login(hd, "hd.btm", wrong_code(secret))
        assert bad.status_code == 401 and bad.json()["field"] == "otp"
        assert "salah" in bad.json()["detail"]
        # The confirm's code is spent: the next step's (one step of drift) logs in, once.
        good = await login(hd, "hd.btm", code(secret, 1))
        assert good.status_code == 200, good.text
        replay = await login(hd, "hd.btm", code(secret, 1))
        assert replay.status_code == 401 and replay.json()["field"] == "otp"
        # A wrong password says nothing about the code.
        wrong_password = await login(hd, "hd.btm", code(secret, 2), "salah-sekali")
        assert wrong_password.status_code == 401 and wrong_password.json().get("field") is None

        # The replay and the wrong password counted; three wrong codes reach the lock-out.
        for _ in range(3):
            assert (await login(hd, "hd.btm", wrong_code(secret))).status_code == 401
        locked = await login(hd, "hd.btm", code(secret, 2))
        assert locked.status_code == 429 and "terkunci" in locked.json()["detail"]


async def test_a_unit_requiring_totp_and_the_admins_switches(tmp_path, nats_server, database_url):
    settings = make_settings(tmp_path, nats_server.url, database_url)
    async with running_helpdesk(settings, services=["desk"]) as hd:
        desk = Desk(hd, "batam")
        await desk.staff("admin.btm", "admin")
        await desk.staff("hd.btm", "helpdesk")
        await desk.staff("hd.lpg", "helpdesk", tenant="lampung")
        admin, helpdesk = bearer(desk.tokens["admin.btm"]), bearer(desk.tokens["hd.btm"])
        security = "/api/v1/units/batam/security"

        assert (await hd.http.post(security, headers=helpdesk,
                                   json={"require_totp": True})).status_code == 403
        assert (await hd.http.post("/api/v1/units/lampung/security", headers=admin,
                                   json={"require_totp": True})).status_code == 403
        assert (await hd.http.post(security, headers=admin,  # not enrolled: would lock self out
                                   json={"require_totp": True})).status_code == 409
        admin_secret = await enrol(hd, desk.tokens["admin.btm"])
        on = await hd.http.post(security, headers=admin, json={"require_totp": True})
        assert on.status_code == 200 and on.json() == {"tenant": "batam", "require_totp": True}
        assert (await hd.http.get(security, headers=admin)).json()["require_totp"] is True

        refused = await login(hd, "hd.btm")
        assert refused.status_code == 401 and refused.json()["field"] == "otp"
        assert "admin" in refused.json()["detail"]
        assert (await login(hd, "hd.lpg")).status_code == 200  # another unit: no rule
        assert (await login(hd, "admin.btm", code(admin_secret, 1))).status_code == 200

        # The user enrols with a token of theirs (issued before the rule), then logs in.
        secret = await enrol(hd, desk.tokens["hd.btm"])
        assert (await login(hd, "hd.btm", code(secret, 1))).status_code == 200

        reset = "/api/v1/users/hd.btm/reset-totp"
        assert (await hd.http.post(reset, headers=helpdesk)).status_code == 403
        assert (await hd.http.post("/api/v1/users/admin.btm/reset-totp",
                                   headers=admin)).status_code == 409  # not one's own
        cleared = await hd.http.post(reset, headers=admin)
        assert cleared.status_code == 200 and cleared.json()["account"]["totp"] is False
        assert cleared.json()["tokens_revoked"] is False
        # Still required by the unit: refused until enrolled again; free once lifted.
        assert (await login(hd, "hd.btm")).status_code == 401
        off = await hd.http.post(security, headers=admin, json={"require_totp": False})
        assert off.status_code == 200
        assert (await login(hd, "hd.btm")).status_code == 200


async def test_every_unit_rule_and_the_pages(tmp_path, nats_server):
    settings = make_settings(tmp_path, nats_server.url)
    async with running_helpdesk(settings, services=["desk", "web"]) as hd:
        desk = Desk(hd, "batam")
        await desk.staff("admin.pusat", "admin", tenant="*")
        await desk.staff("hd.btm", "helpdesk")
        secret = await enrol(hd, desk.tokens["hd.btm"])
        admin_secret = await enrol(hd, desk.tokens["admin.pusat"])
        base = f"http://{settings.http_host}:{settings.http_port}"
        async with WebClient(base) as web:
            form = await web.http.get("/staf/masuk")
            assert 'name="otp"' in form.text and "Kode OTP (bila diaktifkan)" in form.text
            without = await web.login("hd.btm")
            assert without.status_code == 401 and "OTP" in text_of(without)
            with_code = await web.form("/staf/masuk", {
                "username": "hd.btm", "password": PASSWORD, "otp": code(secret, 1),
                "lanjut": "/staf/antrean"})
            assert with_code.status_code == 303, with_code.text

        async with WebClient(base) as web:
            signed_in = await web.form("/staf/masuk", {
                "username": "admin.pusat", "password": PASSWORD, "otp": code(admin_secret, 1),
                "lanjut": "/staf/pengguna"})
            assert signed_in.status_code == 303
            listing = await web.http.get("/staf/pengguna")
            assert "Wajibkan OTP" in listing.text and "Reset OTP" in listing.text
            page = "/staf/pengguna"
            required = await web.form(f"{page}/keamanan", {"tenant": "*", "require_totp": "1"},
                                      page=page)
            assert required.status_code == 303
            assert "Cabut kewajiban OTP" in (await web.http.get(required.headers["location"])).text
            made = await hd.http.post("/api/v1/users", headers=bearer(desk.tokens["admin.pusat"]),
                                      json={"username": "hd.baru", "role": "helpdesk",
                                            "tenant": "batam", "password": PASSWORD})
            assert made.status_code == 201  # every unit now requires OTP: not for hd.baru yet
            refused = await login(hd, "hd.baru")
            assert refused.status_code == 401 and refused.json()["field"] == "otp"

            reset = await web.form(f"{page}/hd.btm/atur-ulang-otp", {}, page=page)
            assert reset.status_code == 303
            assert (await login(hd, "hd.btm")).status_code == 401  # required, and no factor now
            accounts = await hd.http.get("/api/v1/users", headers=bearer(desk.tokens["admin.pusat"]))
            assert {a["username"]: a["totp"] for a in accounts.json()}["hd.btm"] is False


async def test_staff_enrol_their_own_code_in_the_browser(tmp_path, nats_server):
    settings = make_settings(tmp_path, nats_server.url)
    async with running_helpdesk(settings, services=["desk", "web"]) as hd:
        await Desk(hd, "tuban").staff("hd.tbn", "helpdesk")
        async with WebClient(str(hd.http.base_url)) as web:
            assert (await web.login("hd.tbn")).status_code == 303
            assert "Daftarkan OTP" in (await web.http.get("/staf/otp")).text
            shown = await web.form("/staf/otp", {}, page="/staf/otp")
            secret = re.search(r'id="rahasia-otp">([A-Z2-7]+)<', shown.text).group(1)
            wrong = await web.form("/staf/otp/konfirmasi", {"otp": wrong_code(secret)},
                                   page="/staf/otp")
            assert wrong.status_code in (400, 401) and "salah" in text_of(wrong)
            shown = await web.form("/staf/otp", {}, page="/staf/otp")  # a new secret
            secret = re.search(r'id="rahasia-otp">([A-Z2-7]+)<', shown.text).group(1)
            done = await web.form("/staf/otp/konfirmasi", {"otp": code(secret)}, page="/staf/otp")
            assert done.status_code == 303
            assert "OTP aktif" in text_of(await web.http.get(done.headers["location"]))
        refused = await login(hd, "hd.tbn")
        assert refused.status_code == 401 and refused.json()["field"] == "otp"
        assert (await login(hd, "hd.tbn", code(secret, 1))).status_code == 200

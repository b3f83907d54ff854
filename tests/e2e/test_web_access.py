"""The staff web view and the portal over real HTTP (no browser): logins, sessions, CSRF,
lock-out, unit boundaries on every page, the queue's filters, and the portal's form errors."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

from conftest import eventually, make_settings, running_helpdesk
from lpse_helpdesk.services.web.labels import machine_time
from lpse_helpdesk.services.web.render import fragment
from scenario import Desk
from webclient import WebClient, text_of

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64

# Answer without a login by design: the portal, the public FAQ, the reporter's own routes
# (they need the ticket's access token instead), login itself, health/metrics probes, and the
# "stop mailing me" link of a reporter's mail (it needs the signed tag of the address), and
# a reporter's request for a "Tiket saya" link (it goes to the address's own mailbox).
PUBLIC = [
    ("GET", r"^/$"), ("GET", r"^/(health|ready|metrics)$"), ("GET", r"^/schema"),
    ("GET", r"^/static/"), ("GET", r"^/staf/masuk$"), ("POST", r"^/staf/(masuk|keluar)$"),
    ("GET", r"^/portal/"), ("POST", r"^/portal/"), ("GET", r"^/faq/"),
    ("POST", r"^/faq/[^/]+/[^/]+/membantu$"),  # a reader's "was this helpful?" vote
    ("GET", r"^/api/v1/faq(/feed)?$"), ("POST", r"^/api/v1/faq/[^/]+/helpful$"),
    ("POST", r"^/api/v1/(tickets|attachments|auth/token)$"),
    ("GET", r"^/api/v1/mail/berhenti$"), ("POST", r"^/api/v1/mail/berhenti$"),
    ("POST", r"^/api/v1/reporters/link$"),
]


def is_public(method: str, path: str) -> bool:
    return any(m == method and re.search(pattern, path) for m, pattern in PUBLIC)


async def _two_units(hd) -> tuple[dict, dict, Desk, Desk]:
    batam, tuban = Desk(hd, "batam"), Desk(hd, "tuban")
    upload = await hd.http.post("/api/v1/attachments", params={"tenant": "tuban", "filename": "a.png"},
                                content=PNG, headers={"Content-Type": "image/png"})
    assert upload.status_code == 201, upload.text
    theirs = await tuban.report(attachments=[upload.json()["id"]])
    ours = await batam.report()
    return ours, {**theirs, "attachment": upload.json()["id"]}, batam, tuban


async def test_no_page_or_api_answers_without_login(tmp_path, nats_server):
    settings = make_settings(tmp_path, nats_server.url)
    async with running_helpdesk(settings) as hd:
        _, theirs, _, _ = await _two_units(hd)
        values = {"number": theirs["number"], "tenant": "tuban", "action": "reply",
                  "attachment_id": theirs["attachment"], "file_path": "helpdesk.css"}
        checked = 0
        async with WebClient(str(hd.http.base_url)) as web:
            token = await web.csrf("/staf/masuk")
            for route in hd.runtime.http_app.routes:
                path = re.sub(r"\{(\w+)(:\w+)?\}", lambda m: values.get(m.group(1), str(uuid.uuid4())),
                              route.path)
                for method in sorted(route.methods - {"HEAD", "OPTIONS"}):
                    if is_public(method, route.path):
                        continue
                    api = path.startswith("/api/")
                    # A page's form carries its CSRF token and an API call a JSON body, so the
                    # answer can only come from the login check (checked before either is read).
                    r = await web.http.request(method, path, params={"tenant": "tuban"},
                                               data=None if api else {"_csrf_token": token},
                                               json={} if api and method == "POST" else None)
                    checked += 1
                    to_login = r.status_code == 303 and r.headers["location"].startswith("/staf/masuk")
                    assert r.status_code == 401 or (to_login and not api), (
                        method, path, r.status_code, r.text[:200])
        assert checked >= 25  # every staff page and staff API route was tried


async def test_staff_of_one_unit_cannot_reach_another_units_tickets(tmp_path, nats_server):
    settings = make_settings(tmp_path, nats_server.url)
    async with running_helpdesk(settings) as hd:
        ours, theirs, batam, _ = await _two_units(hd)
        await batam.staff("hd.btm", "helpdesk")
        await batam.staff("kepala.btm", "kepala_unit")
        async with WebClient(str(hd.http.base_url)) as web:
            assert (await web.login("hd.btm")).status_code == 303
            own = await web.http.get(f"/staf/tiket/{ours['number']}")
            assert own.status_code == 200 and ours["number"] in own.text
            assert "Balas pelapor" in own.text and "Jawab eskalasi" not in own.text
            number = theirs["number"]
            pages = [f"/staf/tiket/{number}", f"/staf/tiket/{number}/lampiran/{theirs['attachment']}",
                     "/staf/antrean?tenant=tuban", "/staf/antrean/tabel?tenant=tuban"]
            for path in pages:
                r = await web.http.get(path)
                assert r.status_code == 403, (path, r.status_code)
            acted = await web.form(f"/staf/tiket/{number}/aksi/reply", {"message": "bukan unit saya"})
            assert acted.status_code == 403 and "unit" in text_of(acted)
            dashboard = await web.http.get("/staf/dasbor")
            assert dashboard.status_code == 403  # a helpdesk user sees no head-of-unit figures
        async with WebClient(str(hd.http.base_url)) as head:
            await head.login("kepala.btm")
            assert (await head.http.get("/staf/dasbor")).status_code == 200
            assert (await head.http.get("/staf/dasbor?tenant=tuban")).status_code == 403
            assert (await head.http.get("/staf/dasbor.csv?tenant=tuban")).status_code == 403
            csv = await head.http.get("/staf/dasbor.csv")
            assert csv.status_code == 200 and ours["number"] in csv.text
        tuban_view = await hd.http.get(f"/api/v1/tickets/{number}",
                                       params={"token": theirs["access_token"]})
        assert tuban_view.status_code == 200  # seen by its reporter: no reply from Batam in it
        assert not any(e["type"] == "ticket.replied" for e in tuban_view.json()["timeline"])


async def test_login_session_csrf_and_lockout(tmp_path, nats_server):
    settings = make_settings(tmp_path, nats_server.url)
    async with running_helpdesk(settings, services=["desk", "web"]) as hd:
        await Desk(hd, "batam").staff("hd.btm", "helpdesk")
        async with WebClient(str(hd.http.base_url)) as web:
            no_csrf = await web.http.post("/staf/masuk", data={"username": "hd.btm", "password": "x"})
            assert no_csrf.status_code == 403 and "CSRF" in no_csrf.text
            wrong = await web.login("hd.btm", "salah-sekali")
            assert wrong.status_code == 401 and "kata sandi salah" in text_of(wrong)
            evil = await web.form("/staf/masuk", {"username": "hd.btm", "password": "rahasia-sekali-123",
                                                  "lanjut": "//evil.example/x"})
            assert evil.status_code == 303 and evil.headers["location"] == "/staf/antrean"
            cookie = evil.headers["set-cookie"].lower()
            assert "lpse_staf=" in cookie and "httponly" in cookie and "samesite=lax" in cookie
            assert (await web.http.get("/staf/antrean")).status_code == 200
            out = await web.form("/staf/keluar", {}, page="/staf/antrean")
            assert out.status_code == 303
            assert (await web.http.get("/staf/antrean")).status_code == 303
            for _ in range(5):
                await web.login("hd.btm", "salah-sekali")
            locked = await web.login("hd.btm")
            assert locked.status_code == 429 and "terkunci" in text_of(locked)


async def test_queue_filters_sorting_and_overdue(tmp_path, nats_server):
    later = {"shift": timedelta(0)}
    clock = lambda: datetime.now(UTC) + later["shift"]  # noqa: E731
    settings = make_settings(tmp_path, nats_server.url)
    async with running_helpdesk(settings, now=clock) as hd:
        desk = Desk(hd, "batam")
        first = await desk.report(subject="Tidak bisa login SPSE", channel="web")
        second = await desk.report(subject="Minta reset akun", channel="email")
        await desk.staff("hd.btm", "helpdesk")
        async with WebClient(str(hd.http.base_url)) as web:
            await web.login("hd.btm")
            page = await web.http.get("/staf/antrean")
            assert first["number"] in page.text and second["number"] in page.text
            assert 'class="terlambat"' not in page.text and "0 terlambat" in page.text
            only_email = await web.http.get("/staf/antrean/tabel?channel=email")
            assert second["number"] in only_email.text and first["number"] not in only_email.text
            form = await web.http.get("/staf/antrean?channel=email")
            assert '<option value="email" selected>Email</option>' in form.text
            assert '<select name="category"><option value="">semua</option>' in form.text
            by_number = await web.http.get("/staf/antrean?sort=nomor&urutan=turun")
            assert by_number.text.index(second["number"]) < by_number.text.index(first["number"])
            later["shift"] = timedelta(days=30)
            overdue = await web.http.get("/staf/antrean/tabel")
            assert overdue.text.count('class="terlambat"') == 2 and "TERLAMBAT" in overdue.text


async def test_portal_form_names_the_missing_field_and_keeps_the_input(tmp_path, nats_server):
    settings = make_settings(tmp_path, nats_server.url)
    async with running_helpdesk(settings) as hd:
        async with WebClient(str(hd.http.base_url)) as web:
            page = "/portal/lampung/tiket-baru"
            form = await web.http.get(page)
            assert 'name="doc_company_npwp"' in form.text  # Lampung asks for the company NPWP
            data = {"name": "Rina", "email": "rina@contoh.co.id", "phone": "0812",
                    "organization": "PT Sinar", "subject": "Gagal unggah penawaran",
                    "description": "Tombol unggah tidak merespons."}
            refused = await web.form(page, data, page=page)
            assert refused.status_code == 400
            assert re.search(r'id="doc_company_npwp"[^>]*aria-invalid="true"', refused.text)
            assert "NPWP perusahaan" in text_of(refused) and "Gagal unggah penawaran" in refused.text
            bad_file = await web.form("/portal/batam/tiket-baru", data, page="/portal/batam/tiket-baru",
                                      files={"files": ("x.sh", b"#!/bin/sh", "text/x-sh")})
            # Refused in the form, before anything is uploaded (the type judged from the bytes).
            assert bad_file.status_code == 400 and 'id="files-galat"' in bad_file.text
            ok = await web.form("/portal/batam/tiket-baru", data, page="/portal/batam/tiket-baru",
                                files={"files": ("layar.png", PNG, "image/png")})
            assert ok.status_code == 303
            done = await web.http.get(ok.headers["location"])
            number = re.search(r'id="nomor-tiket">([^<]+)<', done.text).group(1)
            token = re.search(r'id="token-akses">([^<]+)<', done.text).group(1)

            assert len(token) >= 32  # shown on the page to note down

            async def shown():  # the new ticket's cookie opens it: no token in the address
                r = await web.http.get("/portal/status", params={"nomor": number})
                return r if "Diklasifikasi" in r.text else None
            status = await eventually(shown, what="status tiket di portal")
            link = re.search(r'href="(/portal/tiket/[^"]+/lampiran/[^"]+)"', status.text).group(1)
            assert (await web.http.get(link)).content == PNG
            wrong = await web.http.get("/portal/status", params={"nomor": number, "token": "x" * 32})
            assert wrong.status_code == 404 and "token akses salah" in text_of(wrong)


async def test_canned_replies_come_from_the_units_faq_and_the_portal_searches_it(tmp_path, nats_server):
    from test_faq import close_for_faq, drafts, review

    settings = make_settings(tmp_path, nats_server.url)
    async with running_helpdesk(settings) as hd:
        d = Desk(hd, "batubara")
        helpdesk, ppe = await d.staff("hd.bb", "helpdesk"), await d.staff("ppe.bb", "admin_ppe")
        await close_for_faq(d, helpdesk, "Cara mengunggah dokumen penawaran",
                            "Bagaimana cara unggah dokumen penawaran di SPSE?",
                            "Gunakan Apendo versi terbaru lalu unggah lewat menu Penawaran.")
        [draft] = await drafts(hd, d, ppe, "batubara", 1)
        await review(hd, d, ppe, f"/api/v1/faq/drafts/{draft['id']}/publish")
        asked = await d.report(subject="Gagal unggah dokumen penawaran",
                               description="Dokumen penawaran tidak bisa diunggah.")
        async with WebClient(str(hd.http.base_url)) as web:
            await web.login("hd.bb")
            page = await web.http.get(f"/staf/tiket/{asked['number']}")
            assert f"?faq={draft['id']}" in page.text and "Jawaban siap pakai" in page.text
            chosen = await web.http.get(f"/staf/tiket/{asked['number']}?faq={draft['id']}")
            reply_box = re.search(r'<textarea id="message-reply"[^>]*>([^<]*)<', chosen.text)
            assert reply_box and "Apendo versi terbaru" in reply_box.group(1)
            found = await web.http.get("/faq/batubara", params={"q": "mengunggah penawaran"})
            assert found.status_code == 200 and "Apendo versi terbaru" in found.text
            none = await web.http.get("/faq/batam")  # Batam publishes no FAQ
            assert none.status_code == 404


async def test_escalation_and_its_answer_through_the_ticket_page(tmp_path, nats_server):
    settings = make_settings(tmp_path, nats_server.url)
    async with running_helpdesk(settings) as hd:
        d = Desk(hd, "batam")  # Batam: Helpdesk -> Koordinator Helpdesk -> LKPP
        await d.staff("hd.btm", "helpdesk")
        await d.staff("koord.btm", "koordinator")
        ticket = await d.report()
        page = f"/staf/tiket/{ticket['number']}"
        async with WebClient(str(hd.http.base_url)) as helpdesk:
            await helpdesk.login("hd.btm")
            sent = await helpdesk.form(f"{page}/aksi/escalate", {"reason": "Perlu hak akses admin"},
                                       page=page)
            assert sent.status_code == 303
            after = await helpdesk.http.get(sent.headers["location"])
            # escalation decides in its own service; the page already shows it
            assert "Dieskalasi ke tingkat berikutnya" in after.text and "Dieskalasi</dd>" in after.text
            assert "Balas pelapor" not in after.text  # not while the ticket is at tier 2
            refused = await helpdesk.form(f"{page}/aksi/close", {"resolution": "x"}, page=page)
            assert refused.status_code == 409 and "koordinator" in text_of(refused)
        async with WebClient(str(hd.http.base_url)) as koordinator:
            await koordinator.login("koord.btm")
            mine = await koordinator.http.get(page)
            assert "Jawab eskalasi" in mine.text
            answered = await koordinator.form(f"{page}/aksi/answer",
                                              {"message": "Hak akses sudah diberikan."}, page=page)
            back = await koordinator.http.get(answered.headers["location"])
            assert "Eskalasi dijawab" in back.text and "Hak akses sudah diberikan." in back.text


async def test_survey_names_the_unscored_element_and_is_taken_once(tmp_path, nats_server):
    from lpse_helpdesk.schemas.survey import SKM_KEYS

    settings = make_settings(tmp_path, nats_server.url)
    async with running_helpdesk(settings) as hd:
        d = Desk(hd, "batam")
        await d.staff("hd.btm", "helpdesk")
        ticket = await d.report()
        await d.act("hd.btm", ticket, "close", {"resolution": "Sudah dibantu."})
        status = f"/portal/status?nomor={ticket['number']}"
        survey = f"/portal/tiket/{ticket['number']}/survei"
        scores = dict.fromkeys(SKM_KEYS, "4")
        async with WebClient(str(hd.http.base_url)) as web:
            # The mailed link's token is swapped for the ticket's cookie; the forms send neither.
            opened = await web.http.get(f"{status}&token={ticket['access_token']}")
            assert opened.status_code == 303 and opened.headers["location"] == status
            missing = await web.form(survey, {k: v for k, v in scores.items() if k != "waktu"},
                                     page=status)
            assert missing.status_code == 400 and "Waktu penyelesaian" in text_of(missing)
            taken = await web.form(survey, scores, page=status)
            assert taken.status_code == 303
            again = await web.form(survey, scores, page=status)
            assert again.status_code == 409 and "sudah diisi" in text_of(again)


async def test_the_session_cookie_is_secure_when_the_helpdesk_is_published_over_https(
        tmp_path, nats_server):
    settings = make_settings(tmp_path, nats_server.url, public_url="https://helpdesk.contoh.go.id")
    async with running_helpdesk(settings, services=["desk", "web"]) as hd:
        await Desk(hd, "batam").staff("hd.btm", "helpdesk")
        async with WebClient(str(hd.http.base_url)) as web:
            form = await web.http.get("/staf/masuk")
            csrf_cookie = form.headers["set-cookie"]
            assert "; secure" in csrf_cookie.lower()
            # The test speaks plain HTTP, so its client keeps Secure cookies to itself: send the
            # CSRF cookie by hand, as a browser would over HTTPS.
            token = re.search(r'name="_csrf_token" value="([^"]*)"', form.text).group(1)
            r = await web.http.post("/staf/masuk", headers={"Cookie": csrf_cookie.split(";")[0]},
                                    data={"_csrf_token": token, "username": "hd.btm",
                                          "password": "rahasia-sekali-123"})
            cookie = r.headers["set-cookie"].lower()
            assert r.status_code == 303 and "lpse_staf=" in cookie
            assert "; secure" in cookie and "httponly" in cookie


def test_time_elements_carry_at_most_milliseconds():
    # The HTML checker rejects the API's microseconds in `<time datetime>`.
    assert machine_time("2026-12-03T10:00:00.123456+00:00") == "2026-12-03T10:00:00.123+00:00"
    assert machine_time("2026-12-03T03:00:00Z") == "2026-12-03T03:00:00.000+00:00"
    entry = {"type": "ticket.received", "occurred_at": "2026-12-03T10:00:00.987654+00:00",
             "event": {"type": "ticket.received", "description": "x"}}
    html = fragment("_timeline.html", timeline=[entry], zone="Asia/Jakarta", show_tags=False)
    assert re.findall(r'datetime="([^"]+)"', html) == ["2026-12-03T10:00:00.987+00:00"]

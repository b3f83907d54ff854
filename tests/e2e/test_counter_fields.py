"""The counter's walk-in and phone forms ask for the unit's own fields (its standard's
`[[fields]]`) and send them with the entry: a field the standard requires at the counter is
marked required, a bad value comes back as the form as typed with the API's reason, and the
values recorded show on the ticket. Plain HTTP through the pages, real nats-server."""

from __future__ import annotations

import msgspec

from conftest import make_settings, running_helpdesk
from lpse_helpdesk.standards import load_standards
from scenario import Desk
from test_counter_faq_pages import VISIT, slip_value
from webclient import WebClient, text_of


def standards_asking_aplikasi_at_the_counter() -> dict:
    """The shipped standards, Batu Bara asking a walk-in (not a phone call) for Aplikasi."""
    units = load_standards()
    unit = units["batubara"]
    fields = tuple(msgspec.structs.replace(f, required=("walk_in",)) if f.name == "aplikasi"
                   else f for f in unit.fields)
    return {**units, "batubara": msgspec.structs.replace(unit, fields=fields)}


async def test_counter_forms_ask_for_and_send_the_units_fields(tmp_path, nats_server):
    settings = make_settings(tmp_path, nats_server.url)
    standards = standards_asking_aplikasi_at_the_counter()
    async with running_helpdesk(settings, standards=standards) as hd:
        desk = Desk(hd, "batubara")
        clerk = await desk.staff("loket.btb", "helpdesk")
        async with WebClient(str(hd.http.base_url)) as web:
            await web.login(clerk)
            counter = await web.http.get("/staf/loket")
            assert counter.status_code == 200
            for word in ("tamu", "telepon"):
                assert f'id="{word}-f_kode_tender"' in counter.text
                assert f'id="{word}-f_aplikasi"' in counter.text
            assert "Kode Tender/Paket" in text_of(counter)
            assert "SiRUP</option>" in counter.text
            # Required on a walk-in only: the walk-in's select says so, the phone's does not.
            assert 'id="tamu-f_aplikasi" name="f_aplikasi" required' in counter.text
            assert 'id="telepon-f_aplikasi" name="f_aplikasi" >' in counter.text

            # A value outside the choices: the form again as typed, the API's reason shown.
            bad = {**VISIT, "f_aplikasi": "Sirup", "f_kode_tender": "87654321"}
            refused = await web.form("/staf/loket/tamu", bad, page="/staf/loket")
            assert refused.status_code == 400, refused.text
            assert "Belum tercatat" in text_of(refused) and "fields.aplikasi" in text_of(refused)
            assert 'value="87654321"' in refused.text

            good = {**VISIT, "f_aplikasi": "SiRUP", "f_kode_tender": "87654321", "f_lpse": ""}
            slip = await web.form("/staf/loket/tamu", good, page="/staf/loket")
            assert slip.status_code == 200, slip.text
            number, token = slip_value(slip, "nomor-tiket"), slip_value(slip, "token-akses")
            view = await desk.until({"number": number, "access_token": token},
                                    lambda t: t["category"] is not None, "tiket tamu", who=clerk)
            assert view["fields"] == {"aplikasi": "SiRUP", "kode_tender": "87654321"}

            call = {**VISIT, "name": "Joko", "phone": "081234567890",
                    "subject": "Telepon soal SIKaP", "f_tipe_tiket": "Pertanyaan"}
            answered = await web.form("/staf/loket/telepon", call, page="/staf/loket")
            assert answered.status_code == 200, answered.text
            number = slip_value(answered, "nomor-tiket")
            token = slip_value(answered, "token-akses")
            view = await desk.until({"number": number, "access_token": token},
                                    lambda t: t["category"] is not None, "tiket telepon",
                                    who=clerk)
            assert view["fields"] == {"tipe_tiket": "Pertanyaan"}
            assert view["channel"] == "phone"

"""Mail in past its limits: one sender cannot flood a unit (451, retry later), and a mail whose
event would be larger than the bus takes is refused for good (552), nothing stored."""

from __future__ import annotations

from conftest import make_settings, running_helpdesk
from lpse_helpdesk.platform.natsserver import free_port
from test_mail_intake import mail, send


async def test_one_sender_cannot_flood_a_unit_and_an_oversize_event_is_refused(tmp_path,
                                                                               nats_server):
    settings = make_settings(tmp_path, nats_server.url, smtp_port=free_port(),
                             rate_mails_per_sender_per_hour=2)
    async with running_helpdesk(settings) as hd:
        port = hd.settings.smtp_port
        codes = [(await send(port, mail("batam@lpse.test", f"Tidak bisa login {i}",
                                        "Mohon bantuan reset kata sandi SPSE.")))[0]
                 for i in range(3)]
        assert codes == [250, 250, 451], codes  # told to retry later, not refused for good
        other = await send(port, mail("batam@lpse.test", "Jadwal tender",
                                      "Kapan jadwal tender dibuka?", sender="Sri <sri@contoh.id>"))
        assert other[0] == 250, other

        # An event larger than the bus takes: a permanent refusal, nothing stored.
        intake = hd.runtime.service("intake").store
        intake.mapper.max_event_bytes, before = 400, intake.max_notification_id()
        code, text = await send(port, mail("batam@lpse.test", "Panjang", "x " * 300,
                                           sender="Budi <budi@contoh.id>"))
        assert code == 552 and "terlalu besar" in text, (code, text)
        assert intake.max_notification_id() == before

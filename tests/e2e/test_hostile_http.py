"""Odd and hostile input at the HTTP door: refused with 400 naming the field, never a 500, never
a ticket that is stored and then cannot flow (a NUL reached PostgreSQL's text columns)."""

from __future__ import annotations

from conftest import make_settings, running_helpdesk
from lpse_helpdesk.platform.jsondepth import MAX_DEPTH, too_deep

BAD_FIELDS = [
    ({"reporter": {"name": "Sri", "email": "sri@contoh.id\n"}}, "reporter.email"),
    ({"reporter": {"name": "Sri", "email": "sri@contoh.id\r\nBcc: semua@contoh.id"}},
     "reporter.email"),
    ({"reporter": {"name": "Sri\x07"}}, "reporter.name"),
    ({"reporter": {"name": "Sri", "organization": "CV\nMaju"}}, "reporter.organization"),
    ({"subject": "Lupa sandi\r\nBcc: x@contoh.id"}, "subject"),
    ({"description": "Tidak bisa login\x00"}, "description"),
    ({"documents": {"id_card": "3523\x00"}}, "documents[...]"),  # msgspec names a dict value so
]


async def test_control_characters_are_refused_naming_the_field(tmp_path, nats_server, database_url):
    settings = make_settings(tmp_path, nats_server.url, database_url)
    async with running_helpdesk(settings, services=["intake"]) as hd:
        before = hd.runtime.service("intake").store.max_notification_id()
        for override, field in BAD_FIELDS:
            r = await hd.post_ticket("tuban", **override)
            assert r.status_code == 400, (override, r.text)
            body = r.json()
            assert body["field"] == field, body
            assert "alamat e-mail tidak sah" in body["detail"] or \
                "karakter kendali" in body["detail"], body
        assert hd.runtime.service("intake").store.max_notification_id() == before
        # Text of several lines keeps its line breaks and tabs; a subject its tab.
        r = await hd.post_ticket("tuban", subject="Lupa\tsandi",
                                 description="Baris satu\r\nBaris dua\n\tterlampir")
        assert r.status_code == 201, r.text


async def test_deep_json_and_odd_tokens_get_4xx_not_500(tmp_path, nats_server):
    settings = make_settings(tmp_path, nats_server.url)
    async with running_helpdesk(settings, services=["intake", "desk"]) as hd:
        for body in ("[" * 5000 + "]" * 5000, '{"tenant":' * 3000 + "1" + "}" * 3000):
            r = await hd.http.post("/api/v1/tickets", content=body,
                                   headers={"content-type": "application/json"})
            assert r.status_code == 400 and "terlalu dalam" in r.json()["detail"], r.text
        for path in ("/api/v1/queues", "/api/v1/tickets/TBN-2026-000001"):
            r = await hd.http.get(path, headers=[(b"authorization", "Bearer tökén".encode())])
            assert r.status_code == 401, r.text


def test_the_depth_bound_counts_brackets_outside_strings_only():
    assert too_deep(b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1))
    assert not too_deep(b"[" * MAX_DEPTH + b"]" * MAX_DEPTH)
    assert not too_deep(b'{"description": "' + b"[" * 500 + b'"}')
    assert not too_deep(b'{"a": "\\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}')
    assert not too_deep(b"[{}]" * 1000)  # many, but shallow

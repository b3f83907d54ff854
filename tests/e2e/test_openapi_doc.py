"""The API document at /schema/openapi.json is one others can build on: valid OpenAPI, says who
may call each operation (and the server agrees), describes every operation and tag, names the
licence and a contact, and documents the error body as the server sends it. Its page at /schema
needs nothing from outside the helpdesk."""

from __future__ import annotations

import re

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from conftest import make_settings, running_helpdesk

STAFF, REPORTER = {"staffBearer": []}, {"reporterToken": []}
LINK = {"reporterLink": []}  # "Tiket saya": the mailed link proves the reporter's address
METHODS = {"get", "put", "post", "delete", "patch"}


@pytest.fixture
async def hd(tmp_path, nats_server):
    async with running_helpdesk(make_settings(tmp_path, nats_server.url)) as running:
        yield running


def operations(doc: dict):
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield method.upper(), path, operation


def resolve(doc: dict, schema: dict) -> dict:
    ref = schema.get("$ref", "")
    return doc["components"]["schemas"][ref.rsplit("/", 1)[-1]] if ref else schema


async def test_the_document_is_valid_and_complete(hd):
    doc = (await hd.http.get("/schema/openapi.json")).json()
    validate(doc)

    schemes = doc["components"]["securitySchemes"]
    assert schemes.keys() == {"staffBearer", "reporterToken", "reporterLink"}
    assert (schemes["staffBearer"]["type"], schemes["staffBearer"]["scheme"]) == ("http", "bearer")
    assert {k: schemes["reporterToken"][k] for k in ("type", "in", "name")} == {
        "type": "apiKey", "in": "query", "name": "token"}
    assert {k: schemes["reporterLink"][k] for k in ("type", "in", "name")} == {
        "type": "apiKey", "in": "header", "name": "X-Reporter-Link"}
    assert all(scheme["description"] for scheme in schemes.values())
    info = doc["info"]
    assert info["license"]["identifier"] == "Apache-2.0" and info["license"]["name"]
    assert info["contact"]["name"] and info["contact"]["url"].startswith("http")
    declared = {tag["name"]: tag.get("description") for tag in doc["tags"]}
    assert all(declared.values()), declared

    found = {(method, path): op for method, path, op in operations(doc)}
    assert len(found) >= 25
    for (method, path), op in found.items():
        where = f"{method} {path}"
        assert op.get("summary") and op.get("description"), where
        assert op["tags"] and set(op["tags"]) <= declared.keys(), where
        assert op["security"] in ([], [STAFF], [STAFF, REPORTER], [LINK]), where
    assert found["POST", "/api/v1/tickets"]["security"] == []
    assert found["GET", "/api/v1/faq"]["security"] == []
    assert found["POST", "/api/v1/auth/token"]["security"] == []
    assert found["GET", "/api/v1/queues"]["security"] == [STAFF]
    assert found["POST", "/api/v1/tickets/{number}/close"]["security"] == [STAFF]
    assert found["GET", "/api/v1/tickets/{number}"]["security"] == [STAFF, REPORTER]
    assert found["GET", "/api/v1/reporters/tickets"]["security"] == [LINK]
    assert found["POST", "/api/v1/reporters/link"]["security"] == []

    # The server agrees: an operation that needs a login answers 401 to nobody; a public one
    # does not (a guard answers before anything else is read).
    for (method, path), op in found.items():
        url = re.sub(r"\{(\w+)\}", lambda m: "00000000-0000-4000-8000-000000000000"
                     if m.group(1) == "entry_id" else "BTM-2026-000001", path)
        r = await hd.http.request(method, url)
        assert (r.status_code == 401) == (op["security"] != []), (method, path, r.status_code)


async def test_the_documented_error_body_is_the_one_sent(hd):
    doc = (await hd.http.get("/schema/openapi.json")).json()
    error = doc["components"]["schemas"]["ErrorBody"]
    assert {"status_code", "detail", "field"} <= set(error["required"])
    for method, path, op in operations(doc):
        assert resolve(doc, op["responses"]["400"]["content"]["application/json"]["schema"]) == (
            error), f"{method} {path}"

    # Resolved against the whole document: `problems` refers to the `Problem` schema.
    checker = Draft202012Validator({**doc, "$ref": "#/components/schemas/ErrorBody"})
    bad = [
        await hd.http.post("/api/v1/tickets", json={"tenant": "batam"}),  # msgspec's validation
        await hd.http.post("/api/v1/tickets", content=b"{bukan json"),  # not JSON at all
        await hd.http.get("/api/v1/faq"),  # a missing query parameter
        await hd.post_ticket("lampung", documents={}),  # the unit's standard asks for documents
        await hd.http.get("/api/v1/queues"),  # 401: every error has the same shape
    ]
    for r in bad:
        body = r.json()
        assert r.status_code in (400, 401), r.text
        checker.validate(body)
        assert set(body) <= set(error["properties"]), body
    assert [r.json()["field"] for r in bad[:3]] == ["channel", None, "tenant"]
    assert bad[3].json()["missing"] and bad[3].json()["field"] == bad[3].json()["missing"][0]
    # A new ticket's refusal also lists every problem, the first being `field`.
    assert [p["field"] for p in bad[0].json()["problems"]][:1] == ["channel"]
    assert bad[3].json()["problems"][0]["field"] == bad[3].json()["field"]


async def test_the_docs_page_needs_nothing_from_outside(hd):
    base = str(hd.http.base_url).rstrip("/")
    for page in ("/schema", "/schema/swagger"):
        r = await hd.http.get(page)
        assert r.status_code == 200 and r.headers["content-type"] == "text/html; charset=utf-8"
        outside = [url for url in re.findall(r"https?://[^\s\"'<>)]+", r.text)
                   if not url.startswith(base)]
        assert not outside, outside
        scripts = re.findall(r"<script[^>]+src=[\"']([^\"']+)", r.text)
        styles = re.findall(r"<link[^>]+href=[\"']([^\"']+)", r.text)
        assert any(s.endswith("swagger-ui-bundle.js") for s in scripts), scripts
        for url in scripts + styles:
            asset = await hd.http.get(url)
            assert asset.status_code == 200 and len(asset.content) > 0, url
            if url.endswith(".js"):
                assert asset.headers["content-type"] == "text/javascript; charset=utf-8", url
    notice = await hd.http.get("/schema/assets/LICENSE")  # Swagger UI's licence travels with it
    assert notice.status_code == 200 and "Apache License" in notice.text
    assert (await hd.http.get("/schema/assets/..%2Fcore.py")).status_code == 404

"""API fuzzing: schemathesis against the OpenAPI document a real running helpdesk serves.

Every operation of `/schema/openapi.json` gets generated requests, valid and invalid, as
nobody, as an admin of every unit and as helpdesk staff of Batam; half of them are aimed at a
real ticket, its reporter token, its attachment and its unit, so they get past the lookups.
Each response must not be a 5xx, must have a status the document declares for the operation,
and must match the schema declared for that status.

The examples are bounded (HELPDESK_FUZZ_EXAMPLES per operation and mode, default 15) and
derandomized, so CI sees the same requests every run; raise the number to search further.
"""

from __future__ import annotations

import asyncio
import os
from collections import defaultdict

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import (
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.failures import Failure, FailureGroup

from conftest import ALL_DOCUMENTS, make_settings, running_helpdesk
from scenario import Desk

EXAMPLES = int(os.environ.get("HELPDESK_FUZZ_EXAMPLES", "15"))
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
       b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N"
       b"\x00\x00\x00\x00IEND\xaeB`\x82")


def _aim(case, real: dict[str, str]) -> None:
    """Point a generated request's identifiers at things that exist, and give a new ticket's
    body a real unit with every document its standard may ask for, so it can be accepted."""
    for params in (case.path_parameters, case.query):
        if params:
            for name in params.keys() & real.keys():
                params[name] = real[name]
    if isinstance(case.body, dict) and "tenant" in case.body:
        case.body["tenant"] = real["tenant"]
        case.body["documents"] = dict.fromkeys(ALL_DOCUMENTS, "terlampir")
        if "attachments" in case.body:  # uploads are single-use: none here
            case.body["attachments"] = []


def fuzz_operation(operation, mode, tokens: dict[str, str], real: dict[str, str],
                   findings: dict[str, set[str]]) -> None:
    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(mode), who=st.sampled_from([None, *tokens]),
           aimed=st.booleans())
    def run(case, who, aimed):
        if aimed:
            _aim(case, real)
        headers = {"Authorization": f"Bearer {tokens[who]}"} if who else None
        try:
            case.call_and_validate(headers=headers, checks=CHECKS, timeout=20)
        except (FailureGroup, Failure) as exc:
            for failure in getattr(exc, "exceptions", [exc]):
                message = " ".join(str(failure.message).split())[:400]
                findings[operation.label].add(
                    f"[{mode.value}, {who or 'anonim'}] {failure.title}: {message}\n"
                    f"    {case.as_curl_command(headers)}")

    run()


def fuzz(url: str, tokens: dict[str, str], real: dict[str, str]) -> dict[str, set[str]]:
    """Run every operation; return the distinct failures per operation (empty: all good)."""
    schema = schemathesis.openapi.from_url(url)
    findings: dict[str, set[str]] = defaultdict(set)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20, [op.label for op in operations]
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            fuzz_operation(operation, mode, tokens, real, findings)
    return findings


async def test_every_operation_survives_fuzzing_and_keeps_its_contract(tmp_path, nats_server):
    settings_ = make_settings(tmp_path, nats_server.url)
    async with running_helpdesk(settings_) as hd:
        desk = Desk(hd, "batam")
        await desk.staff("fuzz-admin", "admin", tenant="*")
        await desk.staff("fuzz-helpdesk", "helpdesk")
        upload = await hd.http.post("/api/v1/attachments",
                                    params={"tenant": "batam", "filename": "layar.png"},
                                    content=PNG, headers={"content-type": "image/png"})
        assert upload.status_code == 201, upload.text
        ticket = await desk.report(attachments=[upload.json()["id"]])
        real = {"number": ticket["number"], "token": ticket["access_token"], "tenant": "batam",
                "attachment_id": upload.json()["id"]}
        url = f"http://{hd.settings.http_host}:{hd.settings.http_port}/schema/openapi.json"
        # schemathesis calls with blocking `requests`: off the loop that serves them.
        findings = await asyncio.to_thread(fuzz, url, desk.tokens, real)

    report = "\n".join(f"{label}\n  " + "\n  ".join(sorted(found))
                       for label, found in sorted(findings.items()))
    assert not findings, f"schemathesis menemukan / found:\n{report}"

"""The portal's new-ticket form: shown, checked all at once, and sent.

A refused form names every problem at once, each in plain Indonesian next to its input and
listed at the top with a link to it, and keeps everything typed (the browser cannot keep chosen
files: the page says which to choose again). The checks are intake's own
(`intake.problems.ticket_problems`: the API's limits, the unit's Persyaratan and fields) plus
what only a form has: the files (count, size, type judged from the bytes) and the phone number's
form. Nothing is uploaded for a form that is refused; what the API still refuses after that
(a rate limit, a file the server judges otherwise) is shown the same way.
"""

from __future__ import annotations

from litestar import Request, Response
from litestar.datastructures import UploadFile
from litestar.response import Redirect

from ...schemas.problems import Problem
from ...standards.filetypes import KNOWN, accept, label, labels
from ..intake.problems import in_form_order, phone_problem, ticket_problems
from ..intake.requirements import LABELS, REPORTER_FIELDS
from ..intake.sniff import true_type
from .application import WebFrontend
from .render import page
from .session import ticket_cookie

REPORTER_INPUTS = [("name", "Nama lengkap", "text"), ("email", "Alamat email", "email"),
                   ("phone", "Nomor telepon/WA", "tel"),
                   ("organization", "Instansi/perusahaan", "text")]
MAX_FILES = 10


def form_field(api_field: str | None) -> str:
    """The API names `reporter.email` or `documents.company_npwp`; the form, `email`/`doc_…`.
    A screenshot the standard requires is met by the file input."""
    if not api_field:
        return ""
    head, _, rest = api_field.partition(".")
    if head == "reporter":
        return "reporter_kind" if rest == "kind" else rest
    if head == "documents":
        return "files" if rest == "screenshot" else f"doc_{rest}"
    if head == "fields":
        return f"f_{rest}"
    return "files" if head == "attachments" else head


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f}".replace(".", ",") + " MB"


def new_ticket_page(request: Request, unit, values: dict, problems: list[Problem] = (),
                    status: int = 200, chosen: list[str] = ()) -> Response:
    required = set(unit.required_fields("web"))
    documents = [(name, LABELS.get(name, name)) for name in unit.required_fields("web")
                 if name not in REPORTER_FIELDS and name != "screenshot"]
    errors: dict[str, list[str]] = {}
    listed = []
    for problem in problems:
        key = form_field(problem.field)
        errors.setdefault(key, []).append(problem.message)
        listed.append((key, problem.message))
    types = unit.attachments.types
    return page(request, "new_ticket.html", status=status, unit=unit, values=values,
                errors=errors, problems=listed, chosen_files=list(chosen),
                required_fields=required | {"name"}, reporter_fields=REPORTER_INPUTS,
                document_fields=documents, screenshot_required="screenshot" in required,
                file_types=labels(types), file_accept=accept(types),
                max_size=_megabytes(unit.attachments.max_bytes),
                max_files=min(MAX_FILES, unit.attachments.max_count))


def ticket_body(tenant: str, values: dict, ids: list[str]) -> dict:
    """The form as the API's `NewTicket`."""
    return {
        "tenant": tenant, "channel": "web", "kind": values.get("kind", "ticket"),
        "reporter": {"name": values.get("name", "").strip(),
                     "email": values.get("email", "").strip(),
                     "phone": values.get("phone", "").strip(),
                     "organization": values.get("organization", "").strip(),
                     "kind": values.get("reporter_kind", "other")},
        "subject": values.get("subject", "").strip(),
        "description": values.get("description", "").strip(),
        "documents": {k[4:]: v.strip() for k, v in values.items()
                      if k.startswith("doc_") and v.strip()},
        "attachments": ids,
        "fields": {k[2:]: v.strip() for k, v in values.items() if k.startswith("f_") and v.strip()},
    }


def file_problems(unit, files: list[tuple[str, str, bytes]]) -> tuple[list[Problem], int]:
    """(problems of the chosen files, how many are images), each file by its name; the type
    is judged from the bytes as the server will judge it."""
    limits, problems, images = unit.attachments, [], 0
    most = min(MAX_FILES, limits.max_count)
    if len(files) > most:
        problems.append(Problem(field="attachments", message=f"Paling banyak {most} berkas per "
                                f"laporan; Anda memilih {len(files)}."))
    for name, declared, data in files:
        kind = true_type(name, declared, data)
        if kind not in limits.types:
            what = label(kind) if kind in KNOWN else "yang tidak dikenal"
            problems.append(Problem(field="attachments", message=(
                f"Berkas “{name}” bertipe {what}: tidak diterima. Tipe yang diterima: "
                f"{labels(limits.types)}.")))
        elif len(data) > limits.max_bytes:
            problems.append(Problem(field="attachments", message=(
                f"Berkas “{name}” berukuran {_megabytes(len(data))}: paling besar "
                f"{_megabytes(limits.max_bytes)} per berkas.")))
        else:
            images += kind.startswith("image/")
    return problems, images


def form_problems(unit, values: dict, files: list[tuple[str, str, bytes]]) -> list[Problem]:
    """Everything wrong with the form at once, in the form's order, the files last."""
    found, images = file_problems(unit, files)
    body = ticket_body(unit.tenant, values, [])
    problems = ticket_problems(body, unit, images=images)
    phone = phone_problem(body["reporter"]["phone"])
    problems = in_form_order([*problems, *([phone] if phone else [])])
    return [*problems, *found]


def _api_problems(answer, name: str = "") -> list[Problem]:
    """An API refusal as problems: its own list, or its one field and reason (the Indonesian
    part, before the slash)."""
    listed = answer.body.get("problems") if isinstance(answer.body, dict) else None
    if listed:
        return [Problem(field=p.get("field", ""), message=p.get("message", "")) for p in listed]
    text = answer.detail.split(" / ")[0].replace("`", "")
    field = "attachments" if name else (answer.field or "")  # an upload's, beside the files
    return [Problem(field=field, message=f"Berkas “{name}”: {text}" if name else text)]


async def submit(request: Request, web: WebFrontend, unit) -> Response:
    form = await request.form()
    values = {k: v for k, v in form.items() if isinstance(v, str) and k != "_csrf_token"}
    uploads = [f for f in (form.getall("files") if "files" in form else [])
               if isinstance(f, UploadFile) and f.filename]
    files = [(f.filename[:200], f.content_type or "", await f.read()) for f in uploads]
    chosen = [name for name, _, _ in files]
    if problems := form_problems(unit, values, files):
        return new_ticket_page(request, unit, values, problems, status=400, chosen=chosen)
    ids = []
    for name, declared, data in files:
        answer = await web.call(
            "POST", "/api/v1/attachments", content=data,
            params={"tenant": unit.tenant, "filename": name},
            headers={"Content-Type": declared or "application/octet-stream"})
        if not answer.ok:
            return new_ticket_page(request, unit, values, _api_problems(answer, name),
                                   status=answer.status, chosen=chosen)
        ids.append(answer.body["id"])
    answer = await web.call("POST", "/api/v1/tickets", json=ticket_body(unit.tenant, values, ids))
    if answer.status != 201:
        return new_ticket_page(request, unit, values, _api_problems(answer),
                               status=answer.status, chosen=chosen)
    created = answer.body
    response = Redirect("/portal/tiket-diterima", status_code=303,
                        query_params={"nomor": created["number"]})
    response.set_cookie(ticket_cookie(web.signer, created["number"], created["access_token"],
                                      web.secure_cookies))
    return response

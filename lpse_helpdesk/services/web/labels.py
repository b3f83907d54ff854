"""The words the pages show for the API's codes, in Bahasa Indonesia, and the timeline's lines.

A timeline entry says who did what, in a sentence a reporter or staff member reads without
knowing the event tags; the tag stays visible for staff (it is what the audit trail names).
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

STATUS = {"new": "Baru", "open": "Dibuka", "waiting_reporter": "Menunggu pelapor",
          "escalated": "Dieskalasi", "closed": "Ditutup"}
TIER = {"helpdesk": "Helpdesk", "koordinator": "Koordinator Helpdesk", "admin_ppe": "Admin PPE",
        "lkpp": "Helpdesk LKPP"}
ROLE = {**TIER, "kepala_unit": "Kepala Unit", "admin": "Administrator", "reporter": "Pelapor",
        "system": "Sistem"}
CATEGORY = {"gangguan": "Gangguan", "permasalahan": "Permasalahan",
            "permintaan_layanan": "Permintaan Layanan"}
CHANNEL = {"web": "Portal (web)", "email": "Email", "phone": "Telepon", "walk_in": "Loket",
           "api": "API"}
PRIORITY = {"tinggi": "Tinggi", "sedang": "Sedang", "rendah": "Rendah"}
KIND = {"ticket": "Tiket", "complaint": "Pengaduan"}
ACTION = {"classify": "Klasifikasi ulang", "reply": "Balas pelapor",
          "request-info": "Minta informasi", "notes": "Catatan internal",
          "escalate": "Eskalasi", "answer": "Jawab eskalasi", "close": "Tutup tiket",
          "reopen": "Buka kembali"}

_EVENTS = {
    "ticket.received": "Tiket diterima",
    "ticket.reporter_replied": "Pelapor membalas",
    "ticket.reporter_feedback": "Tanggapan pelapor atas jawaban",
    "ticket.survey_submitted": "Pelapor mengisi survei kepuasan (SKM)",
    "ticket.classified": "Diklasifikasi",
    "ticket.escalated_to_coordinator": "Dieskalasi ke tingkat berikutnya",
    "ticket.escalated_to_lkpp": "Dieskalasi ke Helpdesk LKPP",
    "ticket.escalation_answered": "Eskalasi dijawab",
    "ticket.sla_breached": "Batas waktu layanan terlewati",
    "ticket.replied": "Helpdesk membalas",
    "ticket.info_requested": "Helpdesk meminta informasi tambahan",
    "ticket.note_added": "Catatan internal",
    "ticket.closed": "Tiket ditutup",
    "ticket.reopened": "Tiket dibuka kembali",
    "ticket.assigned": "Tiket ditugaskan",
    "ticket.unassigned": "Penugasan dilepas",
    "ticket.merged": "Tiket digabung",
    "ticket.merge_received": "Tiket lain digabung ke tiket ini",
    "ticket.linked": "Tiket terkait ditautkan",
    "ticket.notification_sent": "Notifikasi terkirim",
    "ticket.notification_failed": "Notifikasi gagal terkirim",
}


def label(table: dict[str, str], code: str | None, empty: str = "—") -> str:
    return table.get(code or "", code or empty)


def event_title(tag: str) -> str:
    return _EVENTS.get(tag, tag)


def local_time(value: str | datetime | None, zone: str = "Asia/Jakarta") -> str:
    """`22-11-2026 14:05 WIB`: the unit's own clock, as staff and reporters read it."""
    if not value:
        return "—"
    when = datetime.fromisoformat(value.replace("Z", "+00:00")) if isinstance(value, str) else value
    local = when.astimezone(ZoneInfo(zone))
    return f"{local:%d-%m-%Y %H:%M} {local.tzname()}"


def machine_time(value: str | datetime | None) -> str:
    """A `<time datetime>` value: ISO 8601 to the millisecond, as HTML allows (the API's
    timestamps carry microseconds, which validators reject)."""
    if not value:
        return ""
    when = datetime.fromisoformat(value.replace("Z", "+00:00")) if isinstance(value, str) else value
    return when.isoformat(timespec="milliseconds")


def duration(seconds: int | None) -> str:
    """`2 j 15 m lagi` / `terlambat 3 j 5 m`."""
    if seconds is None:
        return "jeda (menunggu pelapor)"
    late, left = seconds < 0, abs(seconds)
    days, rest = divmod(left, 86_400)
    hours, rest = divmod(rest, 3600)
    text = " ".join(part for part in (f"{days} h" if days else "", f"{hours} j" if hours else "",
                                      f"{rest // 60} m") if part)
    return f"terlambat {text}" if late else f"{text} lagi"


def who(event: dict) -> str:
    actor = event.get("actor") or {}
    if actor:
        return f"{actor.get('id', '')} ({label(ROLE, actor.get('role'))})"
    if event.get("type") in ("ticket.received", "ticket.reporter_replied",
                             "ticket.reporter_feedback", "ticket.survey_submitted"):
        return "Pelapor"
    return "Sistem"


def _after(text: str | None) -> str:
    return f": {text}" if text else ""


def what(event: dict) -> str:
    """The line under the title: the message, reason or outcome the event carries."""
    tag = event.get("type", "")
    if tag == "ticket.classified":
        reason = f" — {event['reason']}" if event.get("reason") else ""
        return (f"{label(CATEGORY, event.get('category'))}, prioritas "
                f"{label(PRIORITY, event.get('priority'))}{reason}")
    if tag in ("ticket.escalated_to_coordinator", "ticket.escalated_to_lkpp"):
        target = event.get("to_tier", "lkpp")
        auto = " (otomatis, batas waktu tingkat terlewati)" if event.get("automatic") else ""
        # The LPSE Support ticket is only in the staff view's events, never in a reporter's.
        outside = " · ".join(filter(None, (event.get("external_ref"), event.get("external_url"))))
        outside = f" (tiket LPSE Support {outside})" if outside else ""
        # A reporter's view carries no reason and no answer between tiers (desk/reporter_view.py).
        return f"Ke {label(TIER, target)}{auto}{outside}{_after(event.get('reason'))}"
    if tag == "ticket.escalation_answered":
        return f"Dari {label(TIER, event.get('from_tier'))}{_after(event.get('message'))}"
    if tag == "ticket.reporter_feedback":
        verdict = "Masalah selesai" if event.get("solved") else "Masalah BELUM selesai"
        return f"{verdict}. {event.get('message', '')}".strip()
    if tag == "ticket.sla_breached":
        target = "respons pertama" if event.get("target") == "first_response" else "penyelesaian"
        return f"Target {target} (jatuh tempo {local_time(event.get('due_at'))})"
    if tag in ("ticket.notification_sent", "ticket.notification_failed"):
        error = f" — {event['error']}" if event.get("error") else ""
        return (f"{event.get('channel', 'email')} ke {event.get('recipient', '')}"
                f" ({event.get('template', '')}, percobaan {event.get('attempt', 1)}){error}")
    if tag in ("ticket.closed", "ticket.merged"):
        return event.get("resolution", "")
    if tag == "ticket.merge_received":
        return f"Duplikat: tiket {event.get('duplicate', '')} (ditutup, digabung ke tiket ini)"
    if tag == "ticket.linked":
        return f"Terkait dengan tiket {event.get('to', '')}"
    if tag in ("ticket.assigned", "ticket.unassigned"):
        before = f" (sebelumnya {event['previous']})" if event.get("previous") else ""
        return (f"Kepada {event['assignee']}{before}" if tag == "ticket.assigned"
                else f"Dari {event.get('previous', '')}")
    if tag == "ticket.survey_submitted":
        scores = event.get("scores") or {}
        mean = sum(scores.values()) / len(scores) if scores else 0
        return f"Nilai rata-rata {mean:.2f} dari 4. {event.get('comment', '')}".strip()
    if tag == "ticket.received":
        return event.get("description", "")
    return event.get("message") or event.get("reason") or ""

"""Ticket classifier: Gangguan / Permasalahan / Permintaan Layanan, plus a priority.

The category comes from a calibrated logistic-regression model (`model.py`, features in
`features.py`): the shipped model, built from ``training_tickets.jsonl``, or one a unit
retrained with its staff's corrections (`lpse-helpdesk classifier retrain`), read from the
data folder when triage starts. The priority comes from rules. docs/classifier.md has the
labelling rules, the measurements and how to retrain.

Categories follow the Lampung and Batam standards:
- gangguan: the service is degraded right now (SPSE down, upload error, error 500);
- permasalahan: degraded and it will affect future service (wrong or unsynchronised
  data, expired/revoked certificates, verification stuck, recurring failures);
- permintaan_layanan: consultation, information or an account/letter request.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import msgspec

from ...indonesian import normalise  # noqa: F401 - re-exported: tests and tools read text as triage does
from .model import CATEGORIES, SHIPPED_MODEL, Model, examples_from, train

PRIORITIES = ("tinggi", "sedang", "rendah")
TRAINING_FILE = Path(__file__).with_name("training_tickets.jsonl")
# Below this confidence the desk's queue marks a ticket "perlu ditinjau". Chosen on the
# training file's out-of-fold predictions (docs/classifier.md), never on the evaluation set.
REVIEW_BELOW = 0.8
MODEL_FOLDER = "classifier"  # under the data folder: model.json, model-<unit>.json
_TENANT = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


class Classification(msgspec.Struct, frozen=True):
    category: str
    priority: str
    confidence: float  # calibrated probability of ``category``
    model_version: str = ""

    @property
    def needs_review(self) -> bool:
        return self.confidence < REVIEW_BELOW


class LabelledTicket(msgspec.Struct, frozen=True):
    subject: str
    description: str
    category: str
    priority: str = "sedang"


_ticket_decoder = msgspec.json.Decoder(LabelledTicket)


def load_tickets(path: str | Path) -> list[LabelledTicket]:
    """Read a labelled JSONL file; blank lines are skipped, bad labels are an error."""
    tickets = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        ticket = _ticket_decoder.decode(line)
        if ticket.category not in CATEGORIES or ticket.priority not in PRIORITIES:
            raise ValueError(f"{path}:{n}: unknown category or priority in {line!r}")
        tickets.append(ticket)
    return tickets


# --- priority rules ----------------------------------------------------------------

_URGENT = re.compile(
    r"batas akhir|hari ini|hari terakhir|\bjam \d|pukul \d|\d+ jam lagi|mendesak|segera"
    r"|urgent|darurat|\bbesok\b|sore ini|siang ini|sore nanti|sedang berlangsung"
    r"|sedang berjalan|menunggu sekarang|peserta (sudah )?menunggu"
    r"|(semua|seluruh) (penyedia|rekanan|opd|pengguna|kantor|dinas|orang)|down total"
    r"|diretas|deface")
_ACTION_REQUEST = re.compile(
    r"\breset\b|aktivasi|diaktifkan|dibuatkan|buatkan|nonaktif|kirim ulang|dikirim ulang"
    r"|\bsurat\b|salinan|permohonan|mengajukan|\bubah\b|diubah|ganti|perubahan|pinjam"
    r"|lupa|dibukakan|\bakun (baru|pokja|ppk|auditor)|meminta data|minta data"
    r"|pelayanan|tidak dijawab|belum dibalas")


def priority_for(category: str, subject: str, description: str) -> str:
    """tinggi: a deadline is imminent or many users are cut off; rendah: a plain question
    that blocks no one; sedang: everything else. Rules, because the standards define
    priority by deadline and reach, not by wording a model could learn from 150 lines."""
    text = f"{subject}\n{description}".lower()
    if _URGENT.search(text):
        return "tinggi"
    if category == "permintaan_layanan" and not _ACTION_REQUEST.search(text):
        return "rendah"
    return "sedang"


# --- the model ---------------------------------------------------------------------

def model_path(data_dir: str | Path, tenant: str | None = None) -> Path:
    """Where `classifier retrain` writes a unit's model (or every unit's, without one)."""
    if tenant is not None and not _TENANT.match(tenant):
        raise ValueError(f"nama unit `{tenant}` tidak sah untuk nama berkas")
    name = f"model-{tenant}.json" if tenant else "model.json"
    return Path(data_dir) / MODEL_FOLDER / name


class TicketClassifier:
    """The models triage uses: a unit's retrained model, else the folder-wide retrained
    one, else the shipped one. Models are read once, when the classifier is built."""

    def __init__(self, model: Model, by_tenant: dict[str, Model] | None = None):
        self.model = model
        self.by_tenant = dict(by_tenant or {})

    @classmethod
    def default(cls) -> TicketClassifier:
        """The shipped model; read once per process."""
        return _default_classifier()

    @classmethod
    def trained(cls, tickets) -> TicketClassifier:
        """A classifier trained here and now (tests, experiments): seconds, not at start."""
        return cls(Model(train(examples_from(tickets))))

    @classmethod
    def for_data_dir(cls, data_dir: str | Path) -> TicketClassifier:
        """The shipped model plus whatever `classifier retrain` left in the data folder."""
        folder = Path(data_dir) / MODEL_FOLDER
        if not folder.is_dir():
            return cls.default()
        general = folder / "model.json"
        model = Model.load(general) if general.is_file() else cls.default().model
        units = {p.stem.removeprefix("model-"): Model.load(p)
                 for p in sorted(folder.glob("model-*.json"))}
        return cls(model, units)

    def model_for(self, tenant: str | None) -> Model:
        return self.by_tenant.get(tenant, self.model) if tenant else self.model

    def probabilities(self, subject: str, description: str,
                      tenant: str | None = None) -> dict[str, float]:
        probs = self.model_for(tenant).probabilities(subject, description)
        return dict(zip(CATEGORIES, probs))

    def classify(self, subject: str, description: str,
                 tenant: str | None = None) -> Classification:
        model = self.model_for(tenant)
        probs = dict(zip(CATEGORIES, model.probabilities(subject, description)))
        # max() keeps the first of equal scores, so ties resolve in CATEGORIES order.
        category = max(CATEGORIES, key=probs.__getitem__)
        return Classification(
            category=category,
            priority=priority_for(category, subject, description),
            confidence=round(probs[category], 4),
            model_version=model.version,
        )


@functools.cache
def _default_classifier() -> TicketClassifier:
    return TicketClassifier(Model.load(SHIPPED_MODEL))

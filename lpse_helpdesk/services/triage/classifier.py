"""Ticket classifier: Gangguan / Permasalahan / Permintaan Layanan, plus a priority.

A multinomial Naive Bayes over normalised words (bigrams optional) plus a few cue
features, trained at first use on the
small labelled file shipped next to this module (``training_tickets.jsonl``). It needs
no download and no third-party ML library, so every deployment classifies the same way
and a unit can improve it by adding lines to a JSONL file.

Categories follow the Lampung and Batam standards:
- gangguan: the service is degraded right now (SPSE down, upload error, error 500);
- permasalahan: degraded and it will affect future service (wrong or unsynchronised
  data, expired/revoked certificates, verification stuck, recurring failures);
- permintaan_layanan: consultation, information or an account/letter request.
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import msgspec

from ...indonesian import normalise  # shared with the FAQ search

CATEGORIES = ("gangguan", "permasalahan", "permintaan_layanan")
PRIORITIES = ("tinggi", "sedang", "rendah")
TRAINING_FILE = Path(__file__).with_name("training_tickets.jsonl")


class Classification(msgspec.Struct, frozen=True):
    category: str
    priority: str
    confidence: float  # posterior probability of ``category`` after temperature scaling


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


# --- normalisation ---------------------------------------------------------------

# Each cue is a class-typical phrase family from the standards' definitions. A match adds
# one synthetic token; Naive Bayes then learns from the training data how much it counts,
# so the cues generalise over synonyms without hand-set weights.
_CUES = {
    "cue_incident": re.compile(
        r"\berror|\bdown\b|\bmati\b|timeout|timed out|time out|\bhang\b|crash|loading"
        r"|tidak (bisa|dapat) (diakses|dibuka|dimuat|akses|dibuka)|tidak merespon"
        r"|tidak berfungsi|gagal (upload|unggah|mengunggah|login|masuk|kirim|memuat|unduh)"
        r"|maintenance|pemeliharaan|\b[45]0\d\b|lambat|lemot|putus"),
    "cue_problem": re.compile(
        r"\bsalah\b|berbeda|\bbeda\b|tidak sesuai|sinkron|ganda|dobel|duplikat|tertukar"
        r"|hilang|terhapus|kadaluarsa|kedaluwarsa|expired|habis masa|revoked|dicabut"
        r"|dinonaktifkan|diblokir|terblokir|berulang|selalu|setiap|kesekian|berkali"
        r"|sudah \d+ (hari|minggu|bulan)|sudah (seminggu|sebulan|lama)|belum (diproses|terbit)"
        r"|masih (tercatat|tertulis|tercantum|tampil|terhubung)|daftar hitam|berubah sendiri"),
    "cue_request": re.compile(
        r"\?|bagaimana|\bcara\b|caranya|apakah|\bkapan\b|\bdimana\b|di mana|\bberapa\b"
        r"|syarat|prosedur|\binfo\b|informasi|\btanya\b|permohonan|mengajukan|dibuatkan"
        r"|\bminta\b|mohon (dibuat|diaktifkan|dinonaktifkan|dikirim|reset|penjelasan)"
        r"|panduan|tutorial|pelatihan|bimtek|konsultasi|\breset\b|aktivasi|\bingin\b"),
}


def features(subject: str, description: str, *, stem: bool = True,
             bigrams: bool = False, subject_weight: int = 1, cues: bool = True) -> list[str]:
    """Tokens the model sees. Bigrams and a heavier subject are options because they
    sound useful, but 10-fold cross-validation on the training file scored both lower
    (bigrams double-count the same evidence on a corpus this small), so both are off."""
    tokens: list[str] = []
    for text, weight in ((subject, subject_weight), (description, 1)):
        words = normalise(text, stem)
        grams = words + ([f"{a}_{b}" for a, b in zip(words, words[1:])] if bigrams else [])
        tokens.extend(grams * weight)
    if cues:
        # Match on the raw text (for "?" and digits) and on the slang-folded words, so
        # "gak bisa diakses" triggers the same cue as "tidak bisa diakses".
        raw = f"{subject}\n{description}".lower()
        raw += "\n" + " ".join(normalise(raw, stem=False))
        tokens.extend(name for name, pattern in _CUES.items() if pattern.search(raw))
    return tokens


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

class TicketClassifier:
    """Multinomial Naive Bayes with Laplace/Lidstone smoothing and temperature scaling.

    Naive Bayes treats correlated words as independent evidence, so raw
    posteriors are nearly always 0.99+. Dividing the log-scores by ``temperature``
    (chosen by cross-validated log-loss on the training file) makes ``confidence``
    usable as a "should a human look at this?" threshold.
    """

    # Defaults chosen by 10-fold cross-validation on the training file only (accuracy
    # for alpha and features, log-loss for temperature); the test set played no part.
    def __init__(self, examples: Iterable[LabelledTicket], *, alpha: float = 0.3,
                 temperature: float = 2.5, stem: bool = True, bigrams: bool = False,
                 subject_weight: int = 1, cues: bool = True) -> None:
        self._feature_options = dict(stem=stem, bigrams=bigrams,
                                     subject_weight=subject_weight, cues=cues)
        self.temperature = temperature
        counts = {c: Counter() for c in CATEGORIES}
        docs = Counter()
        for ex in examples:
            counts[ex.category].update(features(ex.subject, ex.description,
                                                **self._feature_options))
            docs[ex.category] += 1
        if not all(docs[c] for c in CATEGORIES):
            raise ValueError("every category needs at least one training example")
        vocab = set().union(*counts.values())
        total_docs = sum(docs.values())
        self._log_prior = {c: math.log(docs[c] / total_docs) for c in CATEGORIES}
        # Precomputed log-likelihoods make classify() a few dict lookups per token.
        self._log_lik: dict[str, tuple[float, ...]] = {}
        denominators = [sum(counts[c].values()) + alpha * len(vocab) for c in CATEGORIES]
        for token in vocab:
            self._log_lik[token] = tuple(
                math.log((counts[c][token] + alpha) / d)
                for c, d in zip(CATEGORIES, denominators))

    @classmethod
    def default(cls) -> TicketClassifier:
        """The model trained on the shipped training file; built once per process."""
        return _default_classifier()

    def probabilities(self, subject: str, description: str) -> dict[str, float]:
        scores = [self._log_prior[c] for c in CATEGORIES]
        for token in features(subject, description, **self._feature_options):
            lik = self._log_lik.get(token)
            if lik is not None:  # unseen tokens carry no evidence either way
                scores = [s + ll for s, ll in zip(scores, lik)]
        scaled = [s / self.temperature for s in scores]
        top = max(scaled)
        exps = [math.exp(s - top) for s in scaled]
        total = sum(exps)
        return {c: e / total for c, e in zip(CATEGORIES, exps)}

    def classify(self, subject: str, description: str) -> Classification:
        probs = self.probabilities(subject, description)
        # max() keeps the first of equal scores, so ties resolve in CATEGORIES order.
        category = max(CATEGORIES, key=probs.__getitem__)
        return Classification(
            category=category,
            priority=priority_for(category, subject, description),
            confidence=round(probs[category], 4),
        )


@functools.cache
def _default_classifier() -> TicketClassifier:
    return TicketClassifier(load_tickets(TRAINING_FILE))

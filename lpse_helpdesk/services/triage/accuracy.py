"""Measure the ticket classifier on a labelled JSONL file.

    python -m lpse_helpdesk.services.triage.accuracy [PATH] [--json] [--model FILE]

PATH defaults to ``labelled_tickets.jsonl`` shipped beside this module; the honest set,
written apart from the training file, is ``tests/data/classifier_eval.jsonl`` in the
source tree (docs/classifier.md). A file must not share lines with the training file, or
the figure measures memory, not accuracy. Lines may carry a ``kind`` (the style of text:
typo, walkin, faq, news, chat, topic); the report gives the accuracy per kind.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import msgspec

from .calibration import ReviewSplit, expected_calibration_error, review_split
from .classifier import (
    CATEGORIES, PRIORITIES, REVIEW_BELOW, LabelledTicket, TicketClassifier, load_tickets,
)
from .model import Model

DEFAULT_PATH = Path(__file__).with_name("labelled_tickets.jsonl")
# The honest set lives in the source tree, not in the package: a deployment has no use for
# it, and tests find it beside themselves. How it chose the model without leaking into the
# figures (nested cross-validation over its three folds): docs/classifier.md.
SOURCE_EVAL_SET = Path(__file__).parents[3] / "tests" / "data" / "classifier_eval.jsonl"

_LABELS = {"gangguan": "Gangguan", "permasalahan": "Permasalahan",
           "permintaan_layanan": "Permintaan Layanan"}


class ClassScore(msgspec.Struct, frozen=True):
    precision: float
    recall: float
    support: int  # how many test tickets truly belong to the class


class Report(msgspec.Struct, frozen=True):
    path: str
    total: int
    correct: int
    accuracy: float
    per_class: dict[str, ClassScore]
    confusion: dict[str, dict[str, int]]  # confusion[actual][predicted] = count
    priority_correct: int
    priority_accuracy: float
    priority_confusion: dict[str, dict[str, int]]
    mean_confidence_correct: float
    mean_confidence_wrong: float
    ms_per_ticket: float
    errors: list[dict[str, str]]  # for reading after the fact, never for tuning
    ece: float = 0.0  # expected calibration error, 10 bins
    review: ReviewSplit | None = None  # accuracy below / above the review threshold
    per_kind: dict[str, float] = {}  # accuracy per style of text, when lines name one
    model_version: str = ""
    fold: str = ""


class _Kind(LabelledTicket, frozen=True):
    kind: str = ""
    fold: int = 0


def load_labelled(path: str | Path, fold: int | None = None) -> list[_Kind]:
    """A labelled file's tickets with their kind and fold; only fold `fold` when given."""
    decoder = msgspec.json.Decoder(_Kind)
    load_tickets(path)  # checks the labels
    tickets = [decoder.decode(ln) for ln in Path(path).read_text(encoding="utf-8").splitlines()
               if ln.strip()]
    return [t for t in tickets if fold is None or t.fold == fold]


def _ratio(num: float, den: float) -> float:
    return num / den if den else 0.0


def evaluate(path: str | Path = DEFAULT_PATH, classifier: TicketClassifier | None = None,
             tenant: str | None = None, fold: int | None = None) -> Report:
    tickets = load_labelled(path, fold)
    kinds = [getattr(t, "kind", "") for t in tickets]
    model = classifier or TicketClassifier.default()
    confusion = {a: dict.fromkeys(CATEGORIES, 0) for a in CATEGORIES}
    prio_confusion = {a: dict.fromkeys(PRIORITIES, 0) for a in PRIORITIES}
    conf_right: list[float] = []
    conf_wrong: list[float] = []
    errors = []
    started = time.perf_counter()
    results = [model.classify(t.subject, t.description, tenant) for t in tickets]
    elapsed = time.perf_counter() - started
    for ticket, result in zip(tickets, results):
        confusion[ticket.category][result.category] += 1
        prio_confusion[ticket.priority][result.priority] += 1
        if result.category == ticket.category:
            conf_right.append(result.confidence)
        else:
            conf_wrong.append(result.confidence)
            errors.append({"subject": ticket.subject, "expected": ticket.category,
                           "predicted": result.category,
                           "confidence": f"{result.confidence:.2f}"})
    per_class = {}
    for c in CATEGORIES:
        predicted = sum(confusion[a][c] for a in CATEGORIES)
        actual = sum(confusion[c].values())
        per_class[c] = ClassScore(precision=_ratio(confusion[c][c], predicted),
                                  recall=_ratio(confusion[c][c], actual), support=actual)
    correct = sum(confusion[c][c] for c in CATEGORIES)
    confidences = [r.confidence for r in results]
    right = [r.category == t.category for r, t in zip(results, tickets)]
    per_kind: dict[str, list[bool]] = {}
    for kind, ok in zip(kinds, right):
        if kind:
            per_kind.setdefault(kind, []).append(ok)
    prio_correct = sum(prio_confusion[p][p] for p in PRIORITIES)
    return Report(
        path=str(path), total=len(tickets), correct=correct,
        accuracy=_ratio(correct, len(tickets)), per_class=per_class, confusion=confusion,
        priority_correct=prio_correct, priority_accuracy=_ratio(prio_correct, len(tickets)),
        priority_confusion=prio_confusion,
        mean_confidence_correct=_ratio(sum(conf_right), len(conf_right)),
        mean_confidence_wrong=_ratio(sum(conf_wrong), len(conf_wrong)),
        ms_per_ticket=_ratio(elapsed * 1000, len(tickets)), errors=errors,
        ece=expected_calibration_error(confidences, right),
        review=review_split(confidences, right, REVIEW_BELOW),
        per_kind={k: sum(v) / len(v) for k, v in sorted(per_kind.items())},
        model_version=results[0].model_version if results else "", fold="" if fold is None else str(fold),
    )


def _matrix(title: str, labels: tuple[str, ...], matrix: dict[str, dict[str, int]]) -> list[str]:
    width = max(len(lbl) for lbl in labels) + 2
    col = max(len(lbl) for lbl in labels) + 2
    lines = [title, " " * width + "".join(lbl.rjust(col) for lbl in labels)]
    for actual in labels:
        lines.append(actual.ljust(width)
                     + "".join(str(matrix[actual][p]).rjust(col) for p in labels))
    return lines


def format_report(report: Report, show_errors: bool = False) -> str:
    lines = [
        f"Data uji / test set: {report.path}" + (f" (fold {report.fold})" if report.fold else ""),
        f"Akurasi kategori / category accuracy: {report.accuracy:.1%} "
        f"({report.correct}/{report.total})",
        "Per kelas / per class:",
    ]
    for c, score in report.per_class.items():
        lines.append(f"  {_LABELS[c]:<20} presisi {score.precision:6.1%}  "
                     f"recall {score.recall:6.1%}  (n={score.support})")
    lines.append("")
    lines += _matrix("Matriks konfusi (baris = label, kolom = prediksi):",
                     CATEGORIES, report.confusion)
    lines += [
        "",
        f"Akurasi prioritas / priority accuracy: {report.priority_accuracy:.1%} "
        f"({report.priority_correct}/{report.total})",
    ]
    lines += _matrix("Matriks prioritas (baris = label, kolom = prediksi):",
                     PRIORITIES, report.priority_confusion)
    lines += [
        "",
        f"Rata-rata keyakinan / mean confidence: benar {report.mean_confidence_correct:.2f}, "
        f"salah {report.mean_confidence_wrong:.2f}",
        f"Galat kalibrasi / expected calibration error (ECE): {report.ece:.3f}",
        f"Kecepatan / speed: {report.ms_per_ticket:.3f} ms per tiket",
        f"Model: {report.model_version}",
    ]
    if report.review is not None:
        r = report.review
        lines.append(f"Perlu ditinjau / flagged for review (< {r.threshold:.2f}): {r.flagged}"
                     f" tiket, akurasi {r.flagged_accuracy:.1%}; sisanya {r.trusted} tiket,"
                     f" akurasi {r.trusted_accuracy:.1%}")
    if report.per_kind:
        lines.append("Per jenis teks / per kind: " + ", ".join(
            f"{k} {v:.1%}" for k, v in report.per_kind.items()))
    if show_errors and report.errors:
        lines.append("Salah klasifikasi / misclassified:")
        lines += [f"  [{e['expected']} -> {e['predicted']} @ {e['confidence']}] {e['subject']}"
                  for e in report.errors]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m lpse_helpdesk.services.triage.accuracy",
        description="Akurasi klasifikasi tiket pada data berlabel (JSONL).")
    parser.add_argument("path", nargs="?", default=str(DEFAULT_PATH),
                        help="labelled JSONL file (default: %(default)s)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--errors", action="store_true", help="list misclassified tickets")
    parser.add_argument("--model", help="a model file (default: the shipped model)")
    parser.add_argument("--fold", type=int, choices=(0, 1, 2),
                        help="only this fold of the file (default: every line)")
    args = parser.parse_args(argv)
    for path in (args.path, args.model):
        if path and not Path(path).is_file():
            print(f"error: {path}: file not found", file=sys.stderr)
            return 2
    model = TicketClassifier(Model.load(args.model)) if args.model else None
    report = evaluate(args.path, model, fold=args.fold)
    if args.json:
        print(msgspec.json.encode(report).decode())
    else:
        print(format_report(report, show_errors=args.errors))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`lpse-helpdesk classifier ...`: retrain triage's model with the staff's corrections, and
measure the model in use (docs/classifier.md).

`retrain` reads every staff classification from the desk's store (offline, as the other
operator commands open stores: `cli_admin.py`), trains on the shipped training file plus
those tickets, writes the model into the data folder and prints the accuracy before and
after on the evaluation set. Triage reads the data folder's models when it starts, so the
new model decides from the next start of triage (or of `up`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_parsers(sub, common) -> None:
    clf = sub.add_parser("classifier", help="model klasifikasi triage")
    clf_sub = clf.add_subparsers(dest="action", required=True)
    retrain = clf_sub.add_parser(
        "retrain", help="latih ulang dengan koreksi staf; tulis model ke folder data")
    common(retrain)
    retrain.add_argument("--tenant", help="hanya koreksi unit ini; modelnya dipakai unit ini saja")
    retrain.add_argument("--eval", help="set evaluasi berlabel (JSONL); bawaan: set jujur di "
                         "tests/data bila ada, kalau tidak set bawaan paket")
    retrain.set_defaults(func=cmd_retrain)
    evaluate = clf_sub.add_parser("evaluate", help="akurasi model yang dipakai pada set berlabel")
    common(evaluate)
    evaluate.add_argument("path", nargs="?", help="set berlabel (JSONL)")
    evaluate.add_argument("--tenant", help="model unit ini")
    evaluate.add_argument("--fold", type=int, choices=(0, 1, 2))
    evaluate.add_argument("--errors", action="store_true", help="daftar tiket yang salah")
    evaluate.set_defaults(func=cmd_evaluate)


def _eval_path(given: str | None) -> Path:
    from .services.triage.accuracy import DEFAULT_PATH, SOURCE_EVAL_SET

    if given:
        return Path(given)
    return SOURCE_EVAL_SET if SOURCE_EVAL_SET.is_file() else DEFAULT_PATH


def _line(name: str, report) -> str:
    recall = ", ".join(f"{c} {s.recall:.1%}" for c, s in report.per_class.items())
    return (f"  {name:<8} {report.model_version:<16} akurasi {report.accuracy:6.1%} "
            f"({report.correct}/{report.total}), ECE {report.ece:.3f}; recall: {recall}")


def cmd_retrain(args: argparse.Namespace) -> int:
    from . import bootstrap
    from .bootstrap import settings_from as _settings
    from .services import definition
    from .services.triage.accuracy import SOURCE_EVAL_SET, evaluate, load_labelled
    from .services.triage.classifier import (
        TRAINING_FILE, TicketClassifier, load_tickets, model_path,
    )
    from .services.triage.corrections import corrections
    from .services.triage.model import Model, examples_from, save, train

    settings = _settings(args)
    try:
        target = model_path(settings.data_dir, args.tenant)
    except ValueError as exc:
        print(f"lpse-helpdesk: {exc}", file=sys.stderr)
        return 2
    eval_path = _eval_path(args.eval)
    if not eval_path.is_file():
        print(f"lpse-helpdesk: {eval_path}: berkas tidak ada / file not found", file=sys.stderr)
        return 2
    store = bootstrap.open_store(definition("desk"), settings)  # with the keys it decodes by
    try:
        found = corrections(store, args.tenant)
    finally:
        store.close()
    before = TicketClassifier.for_data_dir(settings.data_dir)
    current = before.model_for(args.tenant)
    examples = examples_from(load_tickets(TRAINING_FILE)) + [c.example for c in found]
    if SOURCE_EVAL_SET.is_file():  # a source checkout: calibrate as the shipped model was
        data = train(examples, current.data.features, current.data.training, len(found),
                     calibration=examples_from(load_labelled(SOURCE_EVAL_SET)))
    else:  # an installed package: keep the calibration of the model being replaced
        data = train(examples, current.data.features, current.data.training, len(found),
                     temperature=current.data.temperature)
    after = TicketClassifier(Model(data))
    disagreed = sum(c.model_category not in (None, c.example.category) for c in found)
    unit = f"unit {args.tenant}" if args.tenant else "semua unit"
    print(f"Koreksi staf / staff classifications ({unit}): {len(found)}, "
          f"{disagreed} berbeda dari model / differing from the model")
    print(f"Data latih / training tickets: {len(examples)}")
    print(f"Evaluasi / evaluation: {eval_path}")
    print(_line("sebelum", evaluate(eval_path, before, args.tenant)))
    print(_line("sesudah", evaluate(eval_path, after)))
    save(data, target)
    print(f"Model ditulis / written: {target} ({data.version}). Triage memakainya sejak "
          f"dijalankan ulang / triage uses it from its next start.")
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from .bootstrap import settings_from as _settings
    from .services.triage.accuracy import evaluate, format_report
    from .services.triage.classifier import TicketClassifier

    settings = _settings(args)
    path = _eval_path(args.path)
    if not path.is_file():
        print(f"lpse-helpdesk: {path}: berkas tidak ada / file not found", file=sys.stderr)
        return 2
    report = evaluate(path, TicketClassifier.for_data_dir(settings.data_dir), args.tenant,
                      args.fold)
    print(format_report(report, show_errors=args.errors))
    return 0

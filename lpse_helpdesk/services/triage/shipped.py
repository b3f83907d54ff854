"""Rebuilds the shipped model file (`classifier_model.json`) from the shipped training file,
calibrated on the labelled evaluation set of a source checkout:

    python -m lpse_helpdesk.services.triage.shipped

A module of its own because it reads both the training file (`classifier.py`) and the
evaluation set (`accuracy.py`), which both import the model: in `model.py` it would import
them back.
"""

from __future__ import annotations

import sys

from .accuracy import SOURCE_EVAL_SET, load_labelled
from .classifier import TRAINING_FILE, load_tickets
from .model import SHIPPED_MODEL, examples_from, save, train


def main() -> int:
    if not SOURCE_EVAL_SET.is_file():
        print(f"{SOURCE_EVAL_SET}: not found (run from a source checkout)", file=sys.stderr)
        return 2
    data = train(examples_from(load_tickets(TRAINING_FILE)),
                 calibration=examples_from(load_labelled(SOURCE_EVAL_SET)))
    save(data, SHIPPED_MODEL)
    print(f"{SHIPPED_MODEL}: {data.version}, {len(data.weights)} features, "
          f"T={data.temperature}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

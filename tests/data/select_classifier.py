"""How the shipped triage model was chosen, rerunnable: nested cross-validation on the honest set.

    .venv/bin/python tests/data/select_classifier.py

Every candidate is trained on the shipped training file only. The honest set
(classifier_eval.jsonl, folds 0-2) then plays two roles without leaking: for each fold, the
candidate and its temperature are chosen on the other two folds and scored on this one.
The three held-out scores together estimate what "choose, then use" gives on unseen text.
Finally the candidate is chosen on all three folds; that is the shipped configuration, and its
score on the whole set is optimistic (it was chosen there), so docs/classifier.md reports both.
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from lpse_helpdesk.services.triage.accuracy import load_labelled  # noqa: E402
from lpse_helpdesk.services.triage.calibration import expected_calibration_error  # noqa: E402
from lpse_helpdesk.services.triage.classifier import TRAINING_FILE, load_tickets  # noqa: E402
from lpse_helpdesk.services.triage.features import FeatureOptions, vector  # noqa: E402
from lpse_helpdesk.services.triage.model import (  # noqa: E402
    CATEGORIES, TrainOptions, _fit_any, _scores, _softmax, examples_from, fit_temperature,
    out_of_fold_scores,
)

EVAL = Path(__file__).with_name("classifier_eval.jsonl")


def candidates():
    for stemmer, (char_max, weight), alpha in itertools.product(
            ("sastrawi", "none"), ((0, 1.0), (5, 0.3), (5, 1.0)), (0.1, 0.3)):
        yield (f"NB stem={stemmer} chars={char_max and f'3-5 x{weight}' or 'off'} a={alpha}",
               FeatureOptions(stemmer=stemmer, char_max=char_max, char_weight=weight),
               TrainOptions(alpha=alpha))
    for stemmer, char_max in itertools.product(("sastrawi", "none"), (0, 5)):
        yield (f"LR stem={stemmer} chars={char_max and '3-5 x1.0' or 'off'}",
               FeatureOptions(stemmer=stemmer, char_max=char_max, char_weight=1.0),
               TrainOptions(algorithm="lr"))


def main() -> int:
    train = examples_from(load_tickets(TRAINING_FILE))
    labels = [CATEGORIES.index(e.category) for e in train]
    tickets = load_labelled(EVAL)
    y = [CATEGORIES.index(t.category) for t in tickets]
    scores, cv = {}, {}
    for name, features, options in candidates():
        docs = [vector(e.subject, e.description, features) for e in train]
        weights = _fit_any(docs, labels, options)
        scores[name] = [_scores(weights, vector(t.subject, t.description, features))
                        for t in tickets]
        oof = out_of_fold_scores(train, features, options, 10 if options.algorithm == "nb" else 5)
        cv[name] = sum(max(range(3), key=r.__getitem__) == c for r, c in zip(oof, labels))
        cv[name] /= len(train)

    def accuracy(name, idx):
        return sum(max(range(3), key=scores[name][i].__getitem__) == y[i] for i in idx) / len(idx)

    everything = range(len(tickets))
    print("candidate: CV on the training file | accuracy on the whole honest set (information only)")
    for name in scores:
        print(f"  {name:<40} cv {cv[name]:.3f} | honest {accuracy(name, everything):.3f}")
    right, confidences, recall = 0, [], {c: [] for c in range(3)}
    for fold in (0, 1, 2):
        chosen_on = [i for i, t in enumerate(tickets) if t.fold != fold]
        held = [i for i, t in enumerate(tickets) if t.fold == fold]
        best = max(scores, key=lambda n: accuracy(n, chosen_on))
        temperature = fit_temperature([scores[best][i] for i in chosen_on],
                                      [y[i] for i in chosen_on])
        for i in held:
            probs = _softmax([s / temperature for s in scores[best][i]])
            guess = max(range(3), key=probs.__getitem__)
            right += guess == y[i]
            confidences.append((probs[guess], guess == y[i]))
            recall[y[i]].append(guess == y[i])
        print(f"fold {fold}: chose {best} (T={temperature}) -> {accuracy(best, held):.3f}")
    ece = expected_calibration_error([c for c, _ in confidences], [r for _, r in confidences])
    print(f"nested estimate: accuracy {right / len(tickets):.3f}, ECE {ece:.3f}, recall "
          + ", ".join(f"{CATEGORIES[c]} {sum(v) / len(v):.3f}" for c, v in recall.items()))
    best = max(scores, key=lambda n: accuracy(n, everything))
    print(f"shipped: {best}, T={fit_temperature(scores[best], y)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

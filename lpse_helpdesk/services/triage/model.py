"""The triage model: multinomial logistic regression over `features.vector`, with a
temperature fitted on cross-validated scores so that its confidence means what it says.

Plain Python, no numpy or scikit-learn: the helpdesk ships no numeric stack, the training
set is a few hundred tickets, and a ticket has a few hundred non-zero features, so a sparse
dict-based model trains in seconds (offline, by `classifier retrain` or the build below)
and classifies in well under a millisecond. scikit-learn would bring numpy and scipy
(about 100 MB installed) into every deployment for the same model.

The model is a JSON file: the shipped one (`classifier_model.json` beside this module,
built from the shipped training file) or one a unit retrained into its data folder.

    python -m lpse_helpdesk.services.triage.shipped   # rebuild the shipped model file
"""

from __future__ import annotations

import hashlib
import math
import operator
import random
from collections.abc import Sequence
from pathlib import Path

import msgspec

from .features import FeatureOptions, vector

CATEGORIES = ("gangguan", "permasalahan", "permintaan_layanan")
SHIPPED_MODEL = Path(__file__).with_name("classifier_model.json")
FORMAT = 1  # bump when the meaning of the weights changes


class TrainOptions(msgspec.Struct, frozen=True, kw_only=True):
    # Chosen by nested cross-validation over the evaluation set's folds (docs/classifier.md,
    # tests/data/select_classifier.py).
    algorithm: str = "nb"  # "nb": multinomial Naive Bayes; "lr": logistic regression
    l2: float = 1e-4  # lr
    epochs: int = 30  # lr
    learning_rate: float = 0.5  # lr
    alpha: float = 0.1  # nb: additive smoothing
    seed: int = 0
    folds: int = 5  # for the temperature's out-of-fold scores


class Example(msgspec.Struct, frozen=True):
    subject: str
    description: str
    category: str


class ModelFile(msgspec.Struct, kw_only=True):
    format: int
    version: str
    features: FeatureOptions
    training: TrainOptions
    temperature: float
    trained_on: int  # tickets
    corrections: int  # of which staff reclassifications
    weights: dict[str, list[float]]  # feature -> one weight per category


def _softmax(scores: Sequence[float]) -> list[float]:
    top = max(scores)
    exps = [math.exp(s - top) for s in scores]
    total = sum(exps)
    return [e / total for e in exps]


def _fit(docs: list[dict[str, float]], labels: list[int], options: TrainOptions
         ) -> dict[str, list[float]]:
    """L2-regularised softmax regression by SGD in a fixed, seeded order (the same data
    always gives the same weights), with a decaying step and the weight decay kept as one
    scale factor, so a step touches only the ticket's own features (Bottou, 2012)."""
    index: dict[str, int] = {}
    rows = []
    for x in docs:
        idx = [index.setdefault(f, len(index)) for f in x]
        rows.append((idx, list(x.values())))
    k = len(CATEGORIES)
    w = [[0.0] * len(index) for _ in range(k)]
    scale = 1.0
    order = list(range(len(docs)))
    rng = random.Random(options.seed)
    step = 0
    for _ in range(options.epochs):
        rng.shuffle(order)
        for i in order:
            idx, vals = rows[i]
            scores = [scale * sum(map(operator.mul, map(wc.__getitem__, idx), vals))
                      for wc in w]
            probs = _softmax(scores)
            probs[labels[i]] -= 1.0
            rate = options.learning_rate / (1.0 + options.learning_rate * options.l2 * step)
            step += 1
            scale *= 1.0 - rate * options.l2
            for wc, g in zip(w, probs):
                if -1e-4 < g < 1e-4:  # a class already settled for this ticket: skip
                    continue
                a = -rate * g / scale
                for j, v in zip(idx, vals):
                    wc[j] += a * v
            if scale < 1e-6:  # fold the decay into the weights before it underflows
                w = [[scale * x for x in wc] for wc in w]
                scale = 1.0
    names = list(index)
    return {names[j]: [scale * w[c][j] for c in range(k)] for j in range(len(names))}


def _fit_nb(docs: list[dict[str, float]], labels: list[int], options: TrainOptions
            ) -> dict[str, list[float]]:
    """Multinomial Naive Bayes over the same vectors, as log-weights in the same form as the
    regression's (the class prior is the weight of the always-on `bias` feature)."""
    k = len(CATEGORIES)
    counts: list[dict[str, float]] = [{} for _ in range(k)]
    totals = [0.0] * k
    for x, y in zip(docs, labels):
        for f, v in x.items():
            if f != "bias":
                counts[y][f] = counts[y].get(f, 0.0) + v
                totals[y] += v
    vocab = set().union(*counts)
    denominators = [t + options.alpha * len(vocab) for t in totals]
    weights = {f: [math.log((counts[c].get(f, 0.0) + options.alpha) / denominators[c])
                   for c in range(k)] for f in vocab}
    weights["bias"] = [math.log(labels.count(c) / len(labels)) for c in range(k)]
    return weights


def _fit_any(docs: list[dict[str, float]], labels: list[int], options: TrainOptions
             ) -> dict[str, list[float]]:
    return (_fit_nb if options.algorithm == "nb" else _fit)(docs, labels, options)


def _scores(weights: dict[str, list[float]], x: dict[str, float]) -> list[float]:
    # Unrolled for the three categories: this loop is most of a ticket's cost.
    s0 = s1 = s2 = 0.0
    get = weights.get
    for f, v in x.items():
        w = get(f)
        if w is not None:
            s0 += v * w[0]
            s1 += v * w[1]
            s2 += v * w[2]
    return [s0, s1, s2]


def fit_temperature(scores: list[list[float]], labels: list[int]) -> float:
    """The T minimising the log-loss of softmax(scores / T): a one-parameter calibration
    (Guo et al., 2017) that changes confidence, never the chosen class."""
    def loss(t: float) -> float:
        return -sum(math.log(max(_softmax([s / t for s in row])[y], 1e-12))
                    for row, y in zip(scores, labels))
    low, high = math.log(0.05), math.log(20.0)
    for _ in range(60):  # golden-section search on log T; the loss is unimodal in T
        a = high - (high - low) * 0.618
        b = low + (high - low) * 0.618
        if loss(math.exp(a)) < loss(math.exp(b)):
            high = b
        else:
            low = a
    return round(math.exp((low + high) / 2), 4)


def folds(n: int, k: int, seed: int = 0) -> list[list[int]]:
    """k disjoint index sets, stratification left to the shuffle (classes are balanced)."""
    order = list(range(n))
    random.Random(seed).shuffle(order)
    return [order[i::k] for i in range(k)]


def out_of_fold_scores(examples: Sequence[Example], features: FeatureOptions,
                       training: TrainOptions, k: int) -> list[list[float]]:
    """Each example's raw scores from a model that did not see it."""
    docs = [vector(e.subject, e.description, features) for e in examples]
    labels = [CATEGORIES.index(e.category) for e in examples]
    result: list[list[float]] = [[]] * len(examples)
    for held in folds(len(examples), k, training.seed):
        held_set = set(held)
        train = [i for i in range(len(examples)) if i not in held_set]
        weights = _fit_any([docs[i] for i in train], [labels[i] for i in train], training)
        for i in held:
            result[i] = _scores(weights, docs[i])
    return result


def version_of(examples: Sequence[Example], features: FeatureOptions,
               training: TrainOptions, temperature: float) -> str:
    digest = hashlib.sha256(msgspec.json.encode(
        [FORMAT, features, training, list(examples), temperature]))
    return f"{training.algorithm}-{digest.hexdigest()[:12]}"


def train(examples: Sequence[Example], features: FeatureOptions | None = None,
          training: TrainOptions | None = None, corrections: int = 0,
          calibration: Sequence[Example] = (), temperature: float | None = None
          ) -> ModelFile:
    """A model from `examples`. Its temperature is, in order: `temperature` if given; fitted
    on `calibration` (tickets the model does not learn from, ideally real text: the
    labelled evaluation set); else fitted on out-of-fold scores of `examples`."""
    features = features or FeatureOptions()
    training = training or TrainOptions()
    labels = [CATEGORIES.index(e.category) for e in examples]
    if len(set(labels)) != len(CATEGORIES):
        raise ValueError("every category needs at least one training example")
    docs = [vector(e.subject, e.description, features) for e in examples]
    weights = _fit_any(docs, labels, training)
    if temperature is None and calibration:
        temperature = fit_temperature(
            [_scores(weights, vector(e.subject, e.description, features)) for e in calibration],
            [CATEGORIES.index(e.category) for e in calibration])
    if temperature is None:
        oof = out_of_fold_scores(examples, features, training, training.folds)
        temperature = fit_temperature(oof, labels)
    return ModelFile(
        format=FORMAT, version=version_of(examples, features, training, temperature),
        features=features,
        training=training, temperature=temperature, trained_on=len(examples),
        corrections=corrections,
        weights={f: [round(w, 5) for w in ws] for f, ws in sorted(weights.items())})


class Model:
    """A trained model ready to score tickets."""

    def __init__(self, data: ModelFile):
        if data.format != FORMAT:
            raise ValueError(f"model format {data.format} is not {FORMAT}")
        self.data = data
        self.version = data.version
        self._weights = data.weights

    @classmethod
    def load(cls, path: str | Path) -> Model:
        return cls(msgspec.json.decode(Path(path).read_bytes(), type=ModelFile))

    def save(self, path: str | Path) -> None:
        save(self.data, path)

    def probabilities(self, subject: str, description: str) -> list[float]:
        scores = _scores(self._weights, vector(subject, description, self.data.features))
        return _softmax([s / self.data.temperature for s in scores])


def save(data: ModelFile, path: str | Path) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(msgspec.json.encode(data))
    tmp.replace(path)  # a running triage never reads half a file


def examples_from(tickets) -> list[Example]:
    return [Example(t.subject, t.description, t.category) for t in tickets]

"""Does a confidence mean what it says? Expected calibration error and the review split."""

from __future__ import annotations

from collections.abc import Sequence

import msgspec


def expected_calibration_error(confidences: Sequence[float], correct: Sequence[bool],
                               bins: int = 10) -> float:
    """ECE (Naeini et al., 2015): the answers are put in `bins` equal-width confidence
    bins; each bin's |accuracy - mean confidence| counts by its share of the answers.
    0 means that, e.g., of the answers given with 0.8 confidence, 80 % are right."""
    if len(confidences) != len(correct):
        raise ValueError("one correctness flag per confidence")
    if not confidences:
        return 0.0
    sums = [[0, 0.0, 0] for _ in range(bins)]  # count, confidence sum, right
    for conf, right in zip(confidences, correct):
        if not 0.0 <= conf <= 1.0:
            raise ValueError(f"confidence {conf} outside [0, 1]")
        b = min(int(conf * bins), bins - 1)
        sums[b][0] += 1
        sums[b][1] += conf
        sums[b][2] += bool(right)
    total = len(confidences)
    return sum(abs(right / n - conf / n) * n / total for n, conf, right in sums if n)


class ReviewSplit(msgspec.Struct, frozen=True):
    threshold: float
    flagged: int  # answers below the threshold: shown as "perlu ditinjau"
    flagged_accuracy: float
    trusted: int
    trusted_accuracy: float


def review_split(confidences: Sequence[float], correct: Sequence[bool],
                 threshold: float) -> ReviewSplit:
    low = [r for c, r in zip(confidences, correct) if c < threshold]
    high = [r for c, r in zip(confidences, correct) if c >= threshold]
    return ReviewSplit(threshold=threshold, flagged=len(low),
                       flagged_accuracy=sum(low) / len(low) if low else 0.0,
                       trusted=len(high), trusted_accuracy=sum(high) / len(high) if high else 0.0)

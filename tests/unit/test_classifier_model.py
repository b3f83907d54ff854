"""The triage model's pure pieces: features, the two learners, calibration, the review mark."""

from __future__ import annotations

import math

import pytest

from lpse_helpdesk.services.triage.calibration import expected_calibration_error, review_split
from lpse_helpdesk.services.triage.classifier import (
    REVIEW_BELOW, Classification, TicketClassifier, model_path,
)
from lpse_helpdesk.services.triage.features import (
    FeatureOptions, char_ngrams, sastrawi_stem, vector,
)
from lpse_helpdesk.services.triage.model import (
    CATEGORIES, Example, Model, TrainOptions, fit_temperature, folds, save, train,
)

TINY = [
    Example("SPSE error", "halaman error 500, tidak bisa diakses", "gangguan"),
    Example("server down", "website lpse down sejak pagi", "gangguan"),
    Example("upload gagal", "gagal upload dokumen, muncul error", "gangguan"),
    Example("NPWP tidak sinkron", "NPWP di SIKaP berbeda dengan SPSE", "permasalahan"),
    Example("data hilang", "data kualifikasi hilang dan tidak sesuai", "permasalahan"),
    Example("sertifikat dicabut", "sertifikat elektronik dicabut, selalu gagal", "permasalahan"),
    Example("cara daftar", "bagaimana cara mendaftar sebagai penyedia?", "permintaan_layanan"),
    Example("reset password", "mohon reset password akun saya", "permintaan_layanan"),
    Example("jadwal pelatihan", "kapan jadwal pelatihan penyedia?", "permintaan_layanan"),
]


def test_char_ngrams_mark_word_boundaries():
    assert char_ngrams("spse", 3, 4) == ["<sp", "sps", "pse", "se>", "<sps", "spse", "pse>"]


def test_a_misspelling_keeps_most_of_its_ngrams():
    # Word tokens of "kwalifikasi" and "kualifikasi" share nothing; their n-grams mostly agree.
    def grams(word):
        return set(char_ngrams(word, 3, 5))
    a, b = grams("kualifikasi"), grams("kwalifikasi")
    assert len(a & b) / len(a | b) > 0.5


def test_vector_blocks_are_unit_length_and_slang_is_folded():
    x = vector("SPSE eror", "gak bisa login", FeatureOptions(char_max=5, char_weight=0.3))
    words = [v for k, v in x.items() if k.startswith("w:")]
    grams = [v for k, v in x.items() if k.startswith("c:")]
    assert math.isclose(math.sqrt(sum(v * v for v in words)), 1.0)
    assert math.isclose(math.sqrt(sum(v * v for v in grams)), 0.3)
    assert "w:error" in x and "w:tidak" in x and x["bias"] == 1.0
    assert x["cue_incident"] == 1.0  # "error"
    assert not any(k.startswith("c:") for k in vector("a", "b", FeatureOptions(char_max=0)))


def test_sastrawi_finds_roots_the_light_stemmer_cut_wrongly():
    assert sastrawi_stem("penawaran") == "tawar"
    assert sastrawi_stem("beranda") == "beranda"
    assert sastrawi_stem("mengunggah") == "unggah"


@pytest.mark.parametrize("algorithm", ["nb", "lr"])
def test_both_learners_separate_a_tiny_set(algorithm):
    model = Model(train(TINY, FeatureOptions(char_max=5), TrainOptions(algorithm=algorithm),
                        temperature=1.0))
    for e in TINY:
        probs = model.probabilities(e.subject, e.description)
        assert math.isclose(sum(probs), 1.0)
        assert CATEGORIES[probs.index(max(probs))] == e.category, e


def test_training_is_deterministic_and_the_version_names_it():
    a = train(TINY, temperature=1.0)
    b = train(TINY, temperature=1.0)
    assert a.weights == b.weights and a.version == b.version
    assert a.version.startswith("nb-")
    assert train(TINY[:-1] + [TINY[0]], temperature=1.0).version != a.version


def test_every_category_is_needed():
    with pytest.raises(ValueError):
        train([e for e in TINY if e.category != "permasalahan"], temperature=1.0)


def test_folds_are_disjoint_and_cover_everything():
    parts = folds(23, 5)
    assert sorted(i for p in parts for i in p) == list(range(23))


def test_temperature_softens_overconfident_scores():
    # Scores that always say 99.99 % but are right only 3 times in 4: T must grow above 1.
    scores = [[10.0, 0.0, 0.0]] * 4
    labels = [0, 0, 0, 1]
    assert fit_temperature(scores, labels) > 2.0
    # Scores that are right every time: sharpening cannot hurt, T falls below 1.
    assert fit_temperature([[1.0, 0.0, 0.0]] * 4, [0] * 4) < 1.0


def test_expected_calibration_error():
    assert expected_calibration_error([], []) == 0.0
    # 0.9 confidence, right 9 of 10: perfectly calibrated.
    assert math.isclose(expected_calibration_error([0.95] * 10, [True] * 9 + [False]), 0.05)
    assert math.isclose(expected_calibration_error([0.9] * 4, [True, True, False, False]), 0.4)
    with pytest.raises(ValueError):
        expected_calibration_error([1.5], [True])


def test_review_split():
    split = review_split([0.5, 0.7, 0.9, 0.99], [False, True, True, True], 0.8)
    assert (split.flagged, split.trusted) == (2, 2)
    assert split.flagged_accuracy == 0.5 and split.trusted_accuracy == 1.0


def test_needs_review_below_the_threshold():
    low = Classification("gangguan", "sedang", REVIEW_BELOW - 0.01)
    high = Classification("gangguan", "sedang", REVIEW_BELOW)
    assert low.needs_review and not high.needs_review


def test_model_file_round_trip_and_per_unit_choice(tmp_path):
    data = train(TINY, temperature=1.0)
    save(data, model_path(tmp_path, "batam"))
    loaded = TicketClassifier.for_data_dir(tmp_path)
    assert loaded.model_for("batam").version == data.version
    assert loaded.model_for("lampung").version == TicketClassifier.default().model.version
    verdict = loaded.classify("server down", "website lpse down sejak pagi", "batam")
    assert verdict.model_version == data.version and verdict.category == "gangguan"
    assert TicketClassifier.for_data_dir(tmp_path / "none") is TicketClassifier.default()


@pytest.mark.parametrize("tenant", ["../etc", "a/b", "", "X Y"])
def test_model_path_refuses_unsafe_unit_names(tmp_path, tenant):
    with pytest.raises(ValueError):
        model_path(tmp_path, tenant)
    assert model_path(tmp_path, None).name == "model.json"
    assert model_path(tmp_path, "batam").name == "model-batam.json"

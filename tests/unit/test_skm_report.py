"""The SKM report's arithmetic (PermenPANRB 14/2017): NRR per element, IKM = sum of NRR x 1/9
converted x 25, the grade's intervals at their bounds, the profile breakdown and the period;
and the profile's wire form (optional answers, old events without it still decode)."""

from datetime import date

import msgspec
import pytest

from lpse_helpdesk.schemas import codec
from lpse_helpdesk.schemas import events as ev
from lpse_helpdesk.schemas.api import Survey
from lpse_helpdesk.schemas.survey import SKM_KEYS, SkmProfile, mutu, profile_from_form
from lpse_helpdesk.services.desk import skm_report
from lpse_helpdesk.services.desk.reports import BadPeriod


def test_known_surveys_give_the_known_ikm_and_grade():
    # Three respondents: element 1 scored 4, 3, 2 (NRR 3.00); the other eight 4, 4, 3 (3.667).
    rows = [(4, 4, 4, 4, 4, 4, 4, 4, 4), (3, 4, 4, 4, 4, 4, 4, 4, 4), (2, 3, 3, 3, 3, 3, 3, 3, 3)]
    found = skm_report.compute(rows, [{}, {}, {}])
    assert found["respondents"] == 3
    assert [e.nrr for e in found["elements"]] == [3.0] + [3.67] * 8
    assert found["elements"][0].converted == 75.0 and found["elements"][0].mutu == "C"
    assert found["elements"][1].converted == 91.67 and found["elements"][1].mutu == "A"
    # (3 + 8 x 11/3) / 9 = 3.5926 -> x 25 = 89.81, A (Sangat Baik)
    assert found["ikm_unconverted"] == 3.593
    assert (found["ikm"], found["mutu"], found["mutu_label"]) == (89.81, "A", "Sangat Baik")


def test_all_fours_is_100_and_all_ones_is_25():
    assert skm_report.compute([(4,) * 9], [{}])["ikm"] == 100.0
    low = skm_report.compute([(1,) * 9], [{}])
    assert (low["ikm"], low["mutu"], low["mutu_label"]) == (25.0, "D", "Tidak Baik")


def test_no_surveys_is_no_index_and_zero_counts():
    found = skm_report.compute([], [])
    assert (found["respondents"], found["ikm"], found["mutu"]) == (0, None, None)
    assert all(e.nrr is None and e.respondents == 0 for e in found["elements"])
    assert all(a.count == 0 for q in found["profile"] for a in q.answers)


@pytest.mark.parametrize("value,grade", [
    (100.0, "A"), (88.31, "A"), (88.30, "B"), (76.61, "B"), (76.60, "C"), (65.00, "C"),
    (64.99, "D"), (25.00, "D"),
])
def test_the_grade_intervals_at_their_bounds(value, grade):
    assert mutu(value) == grade


def test_an_ikm_exactly_on_a_bound_from_scores():
    # 25 x mean = 65.00 exactly: mean 2.6 = nine elements over five respondents summing 117.
    rows = [(3,) * 9] * 3 + [(2,) * 9] * 2
    assert skm_report.compute(rows, [{}] * 5)["ikm"] == 65.0
    assert skm_report.compute(rows, [{}] * 5)["mutu"] == "C"
    rows = [(3,) * 9] * 2 + [(2,) * 9] * 3  # mean 2.4 -> 60.00, D
    assert skm_report.compute(rows, [{}] * 5)["mutu"] == "D"


def test_the_profile_breakdown_counts_each_answer_and_the_unanswered():
    profiles = [
        {"jenis_kelamin": "L", "usia": 17, "pendidikan": "d4_s1", "pekerjaan": "pns"},
        {"jenis_kelamin": "P", "usia": 30, "pendidikan": "d4_s1", "pekerjaan": "swasta"},
        {"jenis_kelamin": "L", "usia": 99, "pendidikan": None, "pekerjaan": None},
        {},  # a survey stored before the profile existed
    ]
    found = {q.key: {a.label: a.count for a in q.answers}
             for q in skm_report.breakdown(profiles)}
    assert found["jenis_kelamin"] == {"Laki-laki": 2, "Perempuan": 1, "Tidak diisi": 1}
    assert found["usia"]["17–20 tahun"] == 1 and found["usia"]["21–30 tahun"] == 1
    assert found["usia"]["61 tahun ke atas"] == 1 and found["usia"]["Tidak diisi"] == 1
    assert found["pendidikan"]["D4/S1"] == 2 and found["pendidikan"]["Tidak diisi"] == 2
    assert found["pekerjaan"] == {"PNS": 1, "TNI": 0, "POLRI": 0, "Pegawai swasta": 1,
                                  "Wirausaha": 0, "Lainnya": 0, "Tidak diisi": 2}
    for question in found.values():
        assert sum(question.values()) == 4


@pytest.mark.parametrize("text,code,first,last", [
    ("2026-S1", "2026-S1", date(2026, 1, 1), date(2026, 6, 30)),
    ("2026-S2", "2026-S2", date(2026, 7, 1), date(2026, 12, 31)),
    ("2026", "2026", date(2026, 1, 1), date(2026, 12, 31)),
    ("", "2026-S2", date(2026, 7, 1), date(2026, 12, 31)),  # today's semester
])
def test_periods(text, code, first, last):
    found = skm_report.parse_period(text, date(2026, 12, 3))
    assert (found[0], found[2], found[3]) == (code, first, last)


@pytest.mark.parametrize("text", ["2026-S3", "26", "2026-s1x", "9999", "semester"])
def test_a_bad_period_names_the_field(text):
    with pytest.raises(BadPeriod) as refused:
        skm_report.parse_period(text, date(2026, 12, 3))
    assert refused.value.field == "periode"


def test_the_profile_is_optional_and_checked():
    scores = {key: 3 for key in SKM_KEYS}
    assert msgspec.json.decode(msgspec.json.encode({"scores": scores}), type=Survey).profile \
        == SkmProfile()
    for bad in ({"usia": 16}, {"usia": 100}, {"jenis_kelamin": "X"}, {"pendidikan": "s4"},
                {"pekerjaan": "pejabat"}, {"hobi": "catur"}):
        with pytest.raises(msgspec.ValidationError, match=r"\$\.profile"):
            msgspec.json.decode(msgspec.json.encode({"scores": scores, "profile": bad}),
                                type=Survey)


def test_a_survey_event_stored_before_the_profile_still_decodes():
    old = msgspec.json.encode({
        "type": "ticket.survey_submitted", "event_id": "6f1c1f9e-7a35-4c2e-9a57-2b9f0e8f2a11",
        "ticket_id": "0b7e8a4c-52c1-4d7e-a9a4-0f1e2d3c4b5a", "tenant": "batam",
        "occurred_at": "2026-01-05T03:00:00Z", "schema_version": 1,
        "scores": {key: 4 for key in SKM_KEYS}, "comment": ""})
    event = codec.decode_event(old)
    assert isinstance(event, ev.SurveySubmitted) and event.profile == SkmProfile()


def test_the_portal_form_becomes_the_profile():
    assert profile_from_form({"jenis_kelamin": "P", "usia": " 41 ", "pendidikan": "",
                              "pekerjaan": "wirausaha"}) == {
        "jenis_kelamin": "P", "usia": 41, "pekerjaan": "wirausaha"}
    assert profile_from_form({"usia": "empat puluh"}) == {"usia": "empat puluh"}
    assert profile_from_form({}) == {}

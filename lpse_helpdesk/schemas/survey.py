"""The Survei Kepuasan Masyarakat (SKM) of PermenPANRB 14/2017: nine elements scored 1-4, and
the Indeks Kepuasan Masyarakat (IKM, 0-100) with its quality letter (mutu pelayanan).

Importable by any layer (the desk's figures, a web portal's survey form).
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

# The nine elements (unsur) in the regulation's order: (key in `SkmScores`, Indonesian title).
SKM_ELEMENTS: tuple[tuple[str, str], ...] = (
    ("persyaratan", "Persyaratan"),
    ("prosedur", "Sistem, mekanisme, dan prosedur"),
    ("waktu", "Waktu penyelesaian"),
    ("biaya", "Biaya/tarif"),
    ("produk", "Produk spesifikasi jenis pelayanan"),
    ("kompetensi", "Kompetensi pelaksana"),
    ("perilaku", "Perilaku pelaksana"),
    ("pengaduan", "Penanganan pengaduan, saran dan masukan"),
    ("sarana", "Sarana dan prasarana"),
)
SKM_KEYS: tuple[str, ...] = tuple(key for key, _ in SKM_ELEMENTS)

# 1 = tidak baik/tidak sesuai ... 4 = sangat baik/sangat sesuai.
Score = Annotated[int, msgspec.Meta(ge=1, le=4, description="1 (tidak baik) sampai 4 (sangat baik)")]


class SkmScores(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The reporter's score for each of the nine SKM elements (1-4)."""

    persyaratan: Score
    prosedur: Score
    waktu: Score
    biaya: Score
    produk: Score
    kompetensi: Score
    perilaku: Score
    pengaduan: Score
    sarana: Score

    def values(self) -> list[int]:
        return [getattr(self, key) for key in SKM_KEYS]


# PermenPANRB 14/2017: the converted IKM (0-100) and its quality letter, lowest bound first.
MUTU = (("A", 88.31), ("B", 76.61), ("C", 65.00), ("D", 25.00))


def ikm(mean_score: float) -> float:
    """The IKM of a mean element score (1-4), converted to 0-100 (x 25), 2 decimals."""
    return round(mean_score * 25, 2)


def mutu(ikm_value: float) -> str:
    """A (88.31-100), B (76.61-88.30), C (65.00-76.60), D (25.00-64.99)."""
    for letter, lowest in MUTU:
        if ikm_value >= lowest:
            return letter
    return "D"


# --- the respondent's profile (the regulation's questionnaire: "Profil"), every answer optional --

Sex = Literal["L", "P"]
Education = Literal["sd", "smp", "sma", "d1_d3", "d4_s1", "s2", "s3"]
Occupation = Literal["pns", "tni", "polri", "swasta", "wirausaha", "lainnya"]
Age = Annotated[int, msgspec.Meta(ge=17, le=99, description="usia dalam tahun, 17 sampai 99")]


class SkmProfile(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True,
                 omit_defaults=True):
    """Who answered (PermenPANRB 14/2017's sample questionnaire asks these beside the nine
    elements). Each may stay empty (null): the report counts it as "tidak diisi"."""

    jenis_kelamin: Sex | None = None
    usia: Age | None = None
    pendidikan: Education | None = None
    pekerjaan: Occupation | None = None


NOT_ANSWERED = "Tidak diisi"
# The age is asked as a number; the report groups it in these bands (our choice: the
# regulation asks the age in years and sets no bands). (lowest, highest, label), inclusive.
AGE_BANDS: tuple[tuple[int, int, str], ...] = (
    (17, 20, "17–20 tahun"), (21, 30, "21–30 tahun"), (31, 40, "31–40 tahun"),
    (41, 50, "41–50 tahun"), (51, 60, "51–60 tahun"), (61, 99, "61 tahun ke atas"),
)
# Each question: (field of `SkmProfile`, title, ((code, label), ...)); the portal's form and the
# report's breakdown read this one table. The age's codes are its bands' labels.
PROFILE_QUESTIONS: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...] = (
    ("jenis_kelamin", "Jenis kelamin", (("L", "Laki-laki"), ("P", "Perempuan"))),
    ("usia", "Usia", tuple((label, label) for _, _, label in AGE_BANDS)),
    ("pendidikan", "Pendidikan terakhir", (
        ("sd", "SD"), ("smp", "SMP"), ("sma", "SMA/sederajat"), ("d1_d3", "D1–D3"),
        ("d4_s1", "D4/S1"), ("s2", "S2"), ("s3", "S3"))),
    ("pekerjaan", "Pekerjaan utama", (
        ("pns", "PNS"), ("tni", "TNI"), ("polri", "POLRI"), ("swasta", "Pegawai swasta"),
        ("wirausaha", "Wirausaha"), ("lainnya", "Lainnya"))),
)


def age_band(age: int | None) -> str | None:
    """The band label of an age in years, None when not given."""
    if age is None:
        return None
    return next((label for low, high, label in AGE_BANDS if low <= age <= high), None)


def profile_from_form(form) -> dict:
    """The portal's answers (a form mapping) as the API's `profile`: a blank answer is left
    out; an age that is not a number is passed as text, so the API refuses it naming
    `profile.usia`."""
    profile: dict = {}
    for key, _title, _options in PROFILE_QUESTIONS:
        raw = (form.get(key) or "").strip()
        if raw:
            profile[key] = int(raw) if key == "usia" and raw.isdigit() and len(raw) < 4 else raw
    return profile


MUTU_LABELS = {"A": "Sangat Baik", "B": "Baik", "C": "Kurang Baik", "D": "Tidak Baik"}

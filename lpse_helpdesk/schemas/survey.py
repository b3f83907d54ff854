"""The Survei Kepuasan Masyarakat (SKM) of PermenPANRB 14/2017: nine elements scored 1-4, and
the Indeks Kepuasan Masyarakat (IKM, 0-100) with its quality letter (mutu pelayanan).

Importable by any layer (the desk's figures, a web portal's survey form).
"""

from __future__ import annotations

from typing import Annotated

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

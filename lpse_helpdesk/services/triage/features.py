"""What the triage model sees of a ticket: a sparse, L2-normalised vector of word tokens,
character n-grams and cue flags.

- Words are the slang-folded words of `indonesian.normalise` ("gak" -> "tidak", "eror" ->
  "error"), optionally reduced to their root by Sastrawi, a dictionary-based Indonesian
  stemmer ("penawaran" -> "tawar", "mengunggah" -> "unggah"; "beranda" stays "beranda").
- Character n-grams of each folded word, with word-boundary marks, so that a misspelling
  ("kwalifikasi", "paswerd", "pembuata") still shares most of its n-grams with the word
  it stands for, which word tokens alone cannot do.
- Cue flags: phrase families taken from the standards' definitions (an incident now, a
  lasting fault, a request). The model learns how much each counts.
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter
from itertools import chain

import msgspec

from ...indonesian import normalise


class FeatureOptions(msgspec.Struct, frozen=True, kw_only=True):
    """How a ticket becomes a vector; stored with a model so it reads tickets as trained."""

    # Defaults chosen by nested cross-validation on the evaluation set (docs/classifier.md):
    # Sastrawi's roots scored below the folded words, so it is an option, off.
    stemmer: str = "none"  # "sastrawi" or "none"
    char_min: int = 3  # character n-gram lengths; char_max 0 turns them off
    char_max: int = 5
    cues: bool = True
    char_weight: float = 0.3  # the n-gram block's share beside the word block


# Each cue is a phrase family from the standards' definitions; a match adds one token.
CUES = {
    "cue_incident": re.compile(
        r"\berror|\bdown\b|\bmati\b|timeout|timed out|time out|\bhang\b|crash|loading"
        r"|tidak (bisa|dapat) (diakses|dibuka|dimuat|akses)|tidak merespon"
        r"|tidak berfungsi|gagal (upload|login|masuk|kirim|memuat|download)"
        r"|maintenance|pemeliharaan|\b[45]0\d\b|kodeerror|lambat|putus|offline"),
    "cue_problem": re.compile(
        r"\bsalah\b|berbeda|\bbeda\b|tidak sesuai|sinkron|ganda|dobel|duplikat|tertukar"
        r"|hilang|terhapus|kadaluarsa|dicabut|revoked"
        r"|dinonaktifkan|diblokir|terblokir|berulang|selalu|setiap|berkali"
        r"|sudah (angka|seminggu|sebulan|lama)|belum (diproses|terbit)"
        r"|masih (tercatat|tertulis|tercantum|tampil|terhubung)|daftar hitam|berubah sendiri"),
    "cue_request": re.compile(
        r"\?|bagaimana|\bcara\b|caranya|apakah|\bkapan\b|\bdimana\b|di mana|\bberapa\b"
        r"|syarat|prosedur|\binfo\b|informasi|\btanya\b|permohonan|mengajukan|dibuatkan"
        r"|\bminta\b|mohon (dibuat|diaktifkan|dinonaktifkan|dikirim|reset|penjelasan)"
        r"|panduan|tutorial|pelatihan|bimtek|konsultasi|\breset\b|aktivasi|\bingin\b"),
}


@functools.cache
def _sastrawi():
    # Imported on first use: the dictionary load (about 25 ms) is paid only by processes
    # that classify.
    from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

    return StemmerFactory().create_stemmer()


@functools.lru_cache(maxsize=65536)  # pure; Sastrawi costs about 0.4 ms a new word
def sastrawi_stem(word: str) -> str:
    if len(word) <= 3 or not word.isalpha():
        return word
    return _sastrawi().stem(word) or word


def words(text: str, stemmer: str = "sastrawi") -> list[str]:
    folded = normalise(text, stem=False)
    if stemmer == "sastrawi":
        return [sastrawi_stem(w) for w in folded]
    return folded


def char_ngrams(word: str, low: int, high: int) -> list[str]:
    marked = f"<{word}>"
    return [marked[i:i + n] for n in range(low, high + 1)
            for i in range(len(marked) - n + 1)]


@functools.lru_cache(maxsize=65536)
def _marked_grams(word: str, low: int, high: int) -> tuple[str, ...]:
    # A ticket's words are mostly words seen before: cutting their n-grams again was most of
    # a classification's cost (docs/performance.md).
    marked = f"<{word}>"
    return tuple("c:" + marked[i:i + n] for n in range(low, high + 1)
                 for i in range(len(marked) - n + 1))


def _l2(counts: Counter, weight: float) -> dict[str, float]:
    # Sub-linear counts: a word said five times is not five times the evidence.
    scaled = {k: 1.0 + math.log(v) for k, v in counts.items()}
    norm = math.sqrt(sum(v * v for v in scaled.values())) or 1.0
    factor = weight / norm
    return {k: v * factor for k, v in scaled.items()}


def vector(subject: str, description: str, options: FeatureOptions) -> dict[str, float]:
    """The ticket as {feature: value}; blocks are normalised separately so a long ticket's
    many n-grams do not drown its words."""
    text = f"{subject}\n{description}"
    folded = normalise(text, stem=False)
    stemmed = words(text, options.stemmer) if options.stemmer != "none" else folded
    features = _l2(Counter("w:" + w for w in stemmed), 1.0)
    if options.char_max:
        low, high = options.char_min, options.char_max
        grams = Counter(chain.from_iterable(_marked_grams(w, low, high) for w in folded))
        features.update(_l2(grams, options.char_weight))
    if options.cues:
        # On the raw text (for "?" and digits) and on the folded words, so "gak bisa
        # diakses" triggers the same cue as "tidak bisa diakses".
        raw = text.lower() + "\n" + " ".join(folded)
        for name, pattern in CUES.items():
            if pattern.search(raw):
                features[name] = 1.0
    features["bias"] = 1.0
    return features

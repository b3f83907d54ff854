"""Indonesian text as the helpdesk reads it: lower case, slang and typos folded, light affix
stripping. Used by triage's classifier and by the FAQ search, so both understand
"mengunggah", "unggah" and "upload" alike."""

from __future__ import annotations

import functools
import re

# Chat-style Indonesian: reporters write "gak bisa", "tdk", "gmn", "udh"; folding these
# onto one spelling lets a few training lines cover the many ways people type them.
_SLANG = {
    **dict.fromkeys("gak ga gk nggak ngga enggak engga tdk tak ndak g".split(), "tidak"),
    **dict.fromkeys("bgmn gmn gimana gmana bagaimanakah".split(), "bagaimana"),
    **dict.fromkeys("udah udh sdh dah".split(), "sudah"),
    **dict.fromkeys("blm blom lom".split(), "belum"),
    **dict.fromkeys("bs bsa".split(), "bisa"),
    **dict.fromkeys("eror erorr errornya err galat".split(), "error"),
    **dict.fromkeys("lemot lelet lambat".split(), "lambat"),
    **dict.fromkeys("unggah mengunggah diunggah upload diupload mengupload".split(), "upload"),
    **dict.fromkeys("unduh mengunduh diunduh download didownload".split(), "download"),
    **dict.fromkeys("sandi pass pwd passwd".split(), "password"),
    **dict.fromkeys("expired expire kedaluwarsa kadaluwarsa kadaluarsa".split(), "kadaluarsa"),
    "yg": "yang", "sy": "saya", "tp": "tapi", "krn": "karena", "dgn": "dengan",
    "utk": "untuk", "mhn": "mohon", "tlg": "tolong", "trus": "terus", "lg": "lagi",
    "dr": "dari", "jg": "juga", "aja": "saja", "liat": "lihat", "kalo": "kalau",
    "knp": "kenapa", "gitu": "begitu", "dll": "", "min": "admin", "mimin": "admin",
    "pak": "", "bu": "", "bapak": "", "ibu": "",  # forms of address carry no class signal
}

# Numbers: an HTTP-style status code is strong evidence of an incident; other numbers
# (dates, hours, amounts) only add noise, so they collapse to one token each.
_STATUS_CODE = re.compile(r"\b[45]0[0-9]\b")
_REPEAT_COUNT = re.compile(r"\b\d+\s*(x|kali)\b")  # "3x", "5 kali" = repeated failure
_NUMBER = re.compile(r"\d+")
_REDUP = re.compile(r"\b(\w+)-\1\b")  # berkali-kali -> berkali (reduplication)
_E_PREFIX = re.compile(r"\be-(\w)")  # e-katalog -> ekatalog, e-kontrak -> ekontrak
_NON_WORD = re.compile(r"[^a-z0-9_]+")

_PARTICLES = ("nya", "lah", "kah")
_PREFIXES = ("meng", "meny", "mem", "men", "me", "peng", "peny", "pem", "pen",
             "per", "pe", "ter", "ber", "di", "ke")


@functools.lru_cache(maxsize=65536)  # pure; words repeat, and triage stems every ticket
def _stem(word: str) -> str:
    """Very light affix stripping: enough to meet "pendaftaran"/"daftar" halfway.

    Deliberately conservative (keep at least four letters) because a wrong cut merges
    unrelated words, which hurts more than a missed merge on a training set this small.
    """
    for particle in _PARTICLES:
        if word.endswith(particle) and len(word) - len(particle) >= 4:
            word = word[: -len(particle)]
            break
    for suffix in ("kan", "an"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            word = word[: -len(suffix)]
            break
    for prefix in _PREFIXES:
        if word.startswith(prefix) and len(word) - len(prefix) >= 4:
            return word[len(prefix):]
    return word


def normalise(text: str, stem: bool = True) -> list[str]:
    text = text.lower()
    text = _STATUS_CODE.sub(" kodeerror ", text)
    text = _REPEAT_COUNT.sub(" berkali ", text)
    text = _NUMBER.sub(" angka ", text)
    text = _REDUP.sub(r"\1", text)
    text = _E_PREFIX.sub(r"e\1", text)
    words = []
    for raw in _NON_WORD.sub(" ", text).split():
        word = _SLANG.get(raw, raw)
        if word:
            words.append(_stem(word) if stem else word)
    return words


# --- cue features ----------------------------------------------------------------

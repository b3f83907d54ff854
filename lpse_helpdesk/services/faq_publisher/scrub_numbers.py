"""Numbers in helpdesk text: which are personal (NIK, NIP, NPWP, phones, bank accounts) and which
are public (tender and RUP codes, amounts, dates, versions, regulations).

People write the same number many ways: "3523 0112 8501 0003", "3523.0112.8501.0003",
"KTP3523011285010003"; "+62 812-3456-7890", "(0351) 123456". So digits are first read as a
*chain*: digit groups joined by single spaces, dots, dashes or brackets. A chain is then judged
by the word that introduces it ("NIK", "rek. BCA", "HP", "kode tender", "Rp") when one is
close before it, else by its shape: 16 digits is a NIK (a new NPWP when it starts with 0), 15
an old NPWP, 18 a NIP when it starts with a birth year, 08/+628 a mobile, 0 + area code a
landline. A chain that no shape fits but that is 12 digits or more is still an identity of
some kind. Shorter unexplained numbers stay (they are counts, amounts, codes) and the review
asks staff to confirm any of 8 digits or more before publishing (see `long_runs`).

Every pattern here is bounded or unambiguous, so a hostile 20,000-character input costs linear
time: chains have one way to match, labels are found once for the whole text.
"""

from __future__ import annotations

import bisect
import re
from typing import NamedTuple

_SP = r"[ \t\u00a0]"
# One separator between digit groups; each string matches at most one alternative.
_SEP = rf"(?:{_SP}?[-.]{_SP}?|{_SP}|\){_SP}?|{_SP}?\()"
CHAIN = re.compile(rf"(?<!\d)(?:\+{_SP}?)?\(?\d(?:{_SEP}?\d)*")

# Words that say what the next number is. Case-insensitive except where a short upper-case
# abbreviation would otherwise hit ordinary words.
_LABELS = {
    "NIK": r"nik|n\.i\.k\.?|e-?ktp|ktp|no\.?\s?ktp|nomor\s+induk\s+kependudukan",
    "NIP": r"nip|nrp|nippk|nipppk",
    "NPWP": r"npwp",
    "nomor identitas": r"(?-i:KK)|kartu\s+keluarga|no\.?\s?kk|bpjs|paspor|passport|(?-i:SIM)",
    "telepon": r"hp|telp|telpon|telepon|tlp|tel|phone|ponsel|handphone|whatsapp|wa|kontak|"
               r"hubungi|call\s+center|fax|faks|(?-i:CP)|nomor\s+saya|no\.?\s?hp|no\.?\s?wa",
    "rekening": r"rekening|rek|norek|no\.?\s?rek|bank|bca|bri|bni|mandiri|bsi|btn|cimb|danamon|"
                r"permata|bjb|jatim|jateng|sumut|muamalat|ocbc|virtual\s+account|(?-i:VA)|giro|"
                r"tabungan",
    # Public: LPSE publishes these, or they are not about anyone.
    "public": r"kode(?:\s+(?:tender|paket|lelang|rup|non[- ]?tender|pencatatan|produk|pesanan|"
              r"pengadaan))?|id\s+(?:paket|rup|tender)|rup|rp\.?|idr|rupiah|versi|ver\.?|"
              r"(?-i:v)|tahun|(?-i:TA)|nomor\s+surat|no\.?\s?surat|(?-i:SK)|pasal|perpres|"
              r"(?-i:PP)|permen|perlem|peraturan|undang-undang|(?-i:UU)|nomor\s+kontrak|"
              r"no\.?\s?kontrak|spk|pukul|jam|tanggal|tgl|sebesar|senilai|nilai|hps|pagu",
}
_LABEL = re.compile(
    r"(?i)(?<![\w])(?:" + "|".join(f"(?P<k{i}>{p})" for i, p in enumerate(_LABELS.values()))
    + r")(?![^\W\d])")  # a number may follow at once: "KTP3171...", "Rp1.500.000"
_LABEL_KINDS = list(_LABELS)
_GAP = re.compile(r"[^\d\n]{0,32}")  # between a label and its number: no digits, same line
# Personal labels may also stand before a short number that is not the value: "BNI 46 no. ...".
_GAP_SHORT_NUMBER = re.compile(r"(?:[^\d\n]|(?<!\d)\d{1,3}(?!\d)){0,32}")
_DATE_TIME = re.compile(
    r"\d{1,2}[-./]\d{1,2}[-./]\d{2,4}|\d{4}[-./]\d{1,2}[-./]\d{1,2}"  # dates
    r"|\d{1,2}[.:]\d{2}(?:\s?-\s?\d{1,2}[.:]\d{2})?"                     # times, ranges
    r"|\d{1,3}(?:\.\d{1,3}){3}")                                          # IP addresses
IDENTITY = {"NIK", "NIP", "NPWP", "nomor identitas"}


class Chain(NamedTuple):
    start: int
    end: int
    raw: str
    digits: str


class Labels:
    """Every label in the text, found once; the nearest before a number is looked up."""

    def __init__(self, text: str):
        self.text = text
        self.ends: list[int] = []
        self.kinds: list[str] = []
        for m in _LABEL.finditer(text):
            self.ends.append(m.end())
            self.kinds.append(_LABEL_KINDS[int(m.lastgroup[1:])])

    def before(self, start: int) -> str | None:
        """The kind named by a label that ends at most 32 characters before `start`, with
        neither digits nor a line break between them."""
        i = bisect.bisect_right(self.ends, start) - 1
        if i < 0 or start - self.ends[i] > 32:
            return None
        kind = self.kinds[i]
        gap = _GAP if kind == "public" else _GAP_SHORT_NUMBER
        m = gap.match(self.text, self.ends[i], start)
        return kind if m and m.end() == start else None

    def public_near(self, start: int) -> bool:
        """The nearest label earlier on the same line, within 40 characters, is a public one
        ("kode tender", "Rp"), even with other numbers between ("kode tender 100451 dan
        100452"); "kode tender 100451, NIK 3171..." has a nearer personal label."""
        i = bisect.bisect_right(self.ends, start) - 1
        if i < 0 or start - self.ends[i] > 40 or "\n" in self.text[self.ends[i]:start]:
            return False
        return self.kinds[i] == "public"


def chains(text: str) -> list[Chain]:
    found = []
    for m in CHAIN.finditer(text):
        raw, start = m.group(), m.start()
        if raw.startswith("(") and ")" not in raw:  # "(081376543210)": the bracket is prose
            raw, start = raw[1:], start + 1
        found.append(Chain(start, m.end(), raw, re.sub(r"\D", "", raw)))
    return found


def national(digits: str, raw: str) -> str:
    """A phone number as dialled inside Indonesia: +62 / 62 becomes 0."""
    if digits.startswith("62") and (raw.lstrip().startswith("+") or digits[2:3] == "8"):
        return "0" + digits[2:]
    return digits


def shape(raw: str, digits: str) -> str | None:
    """What a number is by its form alone, or None."""
    n = len(digits)
    if _DATE_TIME.fullmatch(raw.strip("() ")):
        return None
    phone = national(digits, raw)
    if phone.startswith("08") and 10 <= len(phone) <= 13:
        return "telepon"
    if phone.startswith("0") and phone[1:2] not in ("0", "8", "") and 9 <= len(phone) <= 12:
        return "telepon"  # area code + 5 to 8 digits: (0351) 123456, 021-5551234
    if n == 18 and digits[:2] in ("19", "20"):
        return "NIP"
    if n == 15:
        return "NPWP"
    if n == 16:
        return "NPWP" if digits[0] == "0" else "NIK"
    if n >= 12:
        return "nomor identitas"
    return None


def judge(chain: Chain, label: str | None) -> str | None:
    n = len(chain.digits)
    if label == "public":
        return None
    if label in IDENTITY and n >= 8 or label in ("telepon", "rekening") and n >= 6:
        if not _DATE_TIME.fullmatch(chain.raw.strip("() ")):
            return label
    return shape(chain.raw, chain.digits)


def _groups(chain: Chain) -> list[tuple[int, int]]:
    """Offsets of the space-separated parts of a chain, for splitting "NIK 3171... 0812..."."""
    parts, pos = [], chain.start
    for piece in re.split(r"([ \t\u00a0]+)", chain.raw):
        if piece.strip():
            parts.append((pos, pos + len(piece)))
        pos += len(piece)
    return parts


def number_spans(text: str) -> list[tuple[int, int, str]]:
    labels = Labels(text)
    spans = []
    for chain in chains(text):
        if len(chain.digits) < 6:
            continue
        label = labels.before(chain.start)
        kind = judge(chain, label)
        if kind:
            spans.append((chain.start, chain.end, kind))
        elif label != "public" and len(chain.digits) > 13 and " " in chain.raw:
            spans += _split(text, chain)
    return spans


def _split(text: str, chain: Chain) -> list[tuple[int, int, str]]:
    """Two numbers only a space apart read as one chain: take the longest known prefix of
    space-separated parts, then go on after it (at most 6 parts per number)."""
    parts, spans, i = _groups(chain), [], 0
    while i < len(parts):
        for j in range(min(len(parts), i + 6), i, -1):
            raw = text[parts[i][0]:parts[j - 1][1]]
            kind = shape(raw, re.sub(r"\D", "", raw))
            if kind:
                spans.append((parts[i][0], parts[j - 1][1], kind))
                i = j
                break
        else:
            i += 1
    return spans


class DigitRun(NamedTuple):
    position: int  # character offset in the checked text
    digits: int
    text: str


def long_runs(text: str, keep_digits: frozenset[str] = frozenset(), minimum: int = 8
              ) -> list[DigitRun]:
    """Numbers of `minimum` digits or more that are neither public nor the unit's own."""
    labels, runs = Labels(text), []
    for chain in chains(text):
        if len(chain.digits) < minimum or _DATE_TIME.fullmatch(chain.raw.strip("() ")):
            continue
        if labels.public_near(chain.start) or is_kept(chain.digits, chain.raw, keep_digits):
            continue
        runs.append(DigitRun(chain.start, len(chain.digits), chain.raw.strip()))
    return runs


def phone_digits(values) -> frozenset[str]:
    """The unit's own numbers, as dialled inside Indonesia, from its contact values."""
    found = set()
    for value in values:
        for chain in chains(value):
            if len(chain.digits) >= 6:
                found.add(national(chain.digits, chain.raw))
    return frozenset(found)


def is_kept(digits: str, raw: str, keep_digits: frozenset[str]) -> bool:
    """The unit's own number, also written without its area code ("332577")."""
    number = national(digits, raw)
    return any(number == kept or (len(number) >= 6 and kept.endswith(number))
               for kept in keep_digits)

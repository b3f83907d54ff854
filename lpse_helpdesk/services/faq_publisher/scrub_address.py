"""Street addresses: "Jl. Merdeka No. 45, RT 003/RW 005, Kel. Sukamaju, Kec. Semanding",
"Perumahan Griya Asri Blok C2 No. 5", "Gg. Mawar No. 3, Desa Sugihwaras", "jl. lintas sumatera
km 12 no. 8 desa perupuk".

An address is read as a run of parts (street, number, km, kavling, block, RT/RW, kelurahan,
desa, kecamatan, kota/kabupaten, postcode, and a city followed by its postcode), each at most
a few words, separated by spaces or commas. A run is an address when it holds a street written
"Jl."/"Jln"/"Gg.", or an RT/RW, or at least two parts one of which pins a place (a number,
km, kavling, block, kelurahan, desa). So "Kabupaten Tuban" or "Perpres No. 16" alone stay,
and a bare city after the address ("..., Bandung") is not taken: it is not about anyone.
"""

from __future__ import annotations

import re

from .scrub_lexicon import STOP, bare

_SP = r"[ \t\u00a0]"
_N = r"(?![\w])"
_PARTS = {
    "num": rf"(?i:no|nomor|nmr)\.?{_SP}*:?{_SP}*(?:(?i:kav)\.?{_SP}*)?\d{{1,5}}[A-Za-z]?"
           rf"(?:{_SP}?[A-Z]{_N})?(?:[/-]\d{{1,5}}[A-Za-z]?)?{_N}",
    "km": rf"(?i:km)\.?{_SP}*\d{{1,4}}(?:[.,]\d{{1,3}})?{_N}",
    "kav": rf"(?i:kav|kavling)\.?{_SP}*\d{{1,4}}[A-Za-z]?(?:[-/]\d{{1,4}}[A-Za-z]?)?{_N}",
    "blok": rf"(?i:blok|blk)\.?{_SP}*(?:[A-Z]{{1,2}}\d{{0,3}}|\d{{1,4}})"
            rf"(?:[./-]{_SP}?(?:[A-Z]{{1,2}}\d{{0,3}}|\d{{1,4}}))?{_N}",
    "rtrw": rf"(?i:rt{_SP}*/{_SP}*rw){_SP}*:?{_SP}*\d{{1,3}}{_SP}*/{_SP}*\d{{1,3}}{_N}"
            rf"|(?i:rt){_SP}*[./:]?{_SP}*\d{{1,3}}(?:{_SP}*[/,]?{_SP}*(?i:rw){_SP}*[./:]?{_SP}*"
            rf"\d{{1,3}})?{_N}|(?i:rw){_SP}*[./:]?{_SP}*\d{{1,3}}{_N}",
    "postcode": r"\d{5}(?!\d)",
}
_PARTS_RE = {k: re.compile(v) for k, v in _PARTS.items()}
_STREET = re.compile(r"(?i:(?P<abbr>jl|jln|gg|lr)|jalan|gang|lorong)\.?(?![\w])")
_PLACE = re.compile(r"(?i:(?P<local>kel|kelurahan|desa|ds|dusun|dsn|perumahan|perum|komplek|"
                    r"kompleks|komp|ruko|rukan|gedung|apartemen)|kec|kecamatan|kab|kabupaten|"
                    r"kota|kodya|prov|provinsi)\.?(?![\w])")
_TRIGGER = re.compile(r"(?i)(?<![\w])(?:jl|jln|jalan|gg|gang|lorong|lr|blok|blk|rt|perumahan|"
                      r"perum|komplek|kompleks|komp|ruko|rukan|kel|kelurahan|desa|ds|dusun|dsn|"
                      r"gedung|apartemen)(?![a-z])")
_HOUSE = re.compile(r"\d{1,4}[A-Za-z]?(?![\w.,/-]?\d)")
_GAP = re.compile(rf"{_SP}*(?:,{_SP}*)?")
_TOKEN = re.compile(rf"{_SP}*([A-Za-z][A-Za-z'’.-]*)(?!\d)")  # "RT.005" is no name
_KEYS = frozenset("""jl jln jalan gg gang lorong lr no nomor nmr km kav kavling blok blk rt rw
kel kelurahan desa ds dusun dsn kec kecamatan kab kabupaten kota kodya prov provinsi perumahan
perum komplek kompleks komp ruko rukan gedung apartemen""".split())
# A capitalised word that starts the next sentence rather than continuing a street name.
_STARTERS = frozenset("""mohon terima saya kami silakan tolong untuk dan atau yang di ke dari
sudah belum tidak apakah bagaimana kapan telp telepon hp wa email nik npwp konfirmasi""".split())


def _name(text: str, pos: int, lower_ok: bool, limit: int = 5) -> int:
    """End of up to `limit` name words from `pos` (pos itself when there are none). A dot
    after the last word ends the sentence ("Kec. Kedaton."), inside it abbreviates ("Jend.")."""
    end = pos
    for _ in range(limit):
        m = _TOKEN.match(text, end)
        if not m:
            break
        word, key = m.group(1), bare(m.group(1))
        if not key or key in _KEYS or key in _STARTERS:
            break
        if not (word[0].isupper() or (lower_ok and key not in STOP)):
            break
        end = m.end()
        if word.endswith(","):
            return end - 1
    word = text[pos:end].split()[-1] if end > pos else ""
    if word.endswith(".") and len(word.rstrip(".")) >= 3:
        end -= 1
    return end


def _part(text: str, pos: int, first: bool, after: str = "") -> tuple[int, str] | None:
    """One address part at `pos`: (end, kind); `after` is the kind of the part before."""
    if after.startswith("street") and (m := _HOUSE.match(text, pos)):
        return m.end(), "num"  # "jln kenari 10": the house number without "No."
    m = _STREET.match(text, pos)
    if m:
        end = _name(text, m.end(), lower_ok=m.group()[0].islower())
        if end > m.end():
            return end, "street_abbr" if m.group("abbr") else "street"
    m = _PLACE.match(text, pos)
    if m:
        end = _name(text, m.end(), lower_ok=m.group()[0].islower(), limit=4)
        if end > m.end():
            return end, "local" if m.group("local") else "area"
        if m.group("local"):
            return m.end(), "area"  # "Komp. Ruko Mega ...": a word for the next part
    for kind, pattern in _PARTS_RE.items():
        m = pattern.match(text, pos)
        if m and not (kind == "postcode" and first):
            return m.end(), kind
    if not first:  # "Jakarta Selatan 12190": a city counts only with its postcode
        end = _name(text, pos, lower_ok=False, limit=3)
        post = _PARTS_RE["postcode"].match(text, end + 1) if end > pos and text[end:end + 1] == " " \
            else None
        if post:
            return post.end(), "area"
    return None


def addresses(text: str) -> list[tuple[int, int, str]]:
    spans, after = [], 0
    for trigger in _TRIGGER.finditer(text):
        if trigger.start() < after:
            continue
        pos, kinds, end = trigger.start(), [], trigger.start()
        while True:
            found = _part(text, pos, first=not kinds, after=kinds[-1] if kinds else "")
            if not found or found[0] <= pos:
                break
            end, kind = found
            kinds.append(kind)
            pos = _GAP.match(text, end).end()
        if _is_address(kinds):
            spans.append((trigger.start(), end, "alamat"))
            after = end
    return spans


def _is_address(kinds: list[str]) -> bool:
    pins = {"num", "km", "kav", "blok", "local", "rtrw", "street_abbr"}
    return ("street_abbr" in kinds or "rtrw" in kinds
            or (len(kinds) >= 2 and any(k in pins for k in kinds)))

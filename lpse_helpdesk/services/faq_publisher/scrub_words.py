"""Personal data written in words: e-mail addresses (also "[at]"/"(at)"/" at "), links that carry
a password or token, WhatsApp links, ticket numbers, passwords and codes after the word that
introduces them, persons after a form of address, companies after their legal form, and
reporters' own names and organisations as they gave them.

Each finder returns (start, end, kind) spans over the original text; `scrub` merges them.
Regexes start only at a word boundary and their repetitions are bounded, so the cost stays
linear on long hostile input; the word-by-word parts look at no more than a few words.
"""

from __future__ import annotations

import re

from .scrub_lexicon import COMPANY_FORMS, COMPANY_STOP, STOP, TITLES, bare

Span = tuple[int, int, str]
_SP = r"[ \t\u00a0]"

# --- e-mail ------------------------------------------------------------------------------------
_AT = rf"(?:{_SP}?@{_SP}?|{_SP}?[\[({{]{_SP}?at{_SP}?[\])}}]{_SP}?|{_SP}+at{_SP}+)"
_DOT = rf"(?:\.|{_SP}?[\[({{]{_SP}?dot{_SP}?[\])}}]{_SP}?|{_SP}+dot{_SP}+)"
EMAIL = re.compile(rf"(?i)(?<![\w.+-])[\w+-]{{1,64}}(?:{_DOT}[\w+-]{{1,64}}){{0,4}}{_AT}"
                   rf"[\w-]{{1,63}}(?:{_DOT}[\w-]{{1,63}}){{1,4}}")
# Written-out addresses ("budi at gmail dot com") count only when they end like one.
_TLD = {"com", "id", "net", "org", "co", "go", "ac", "sch", "or", "web", "my", "biz", "info",
        "edu", "gov", "io", "mil", "ponpes", "desa"}

# --- links ---------------------------------------------------------------------------------------
_URL_SECRET = re.compile(
    r"(?i)[?&;#](?:pwd|pass|passwd|password|sandi|token|access_token|id_token|refresh_token|key|"
    r"apikey|api_key|sig|signature|session|sessionid|sid|auth|code|otp|secret)="
    r"|\b[a-z][a-z0-9+.-]{0,15}://[^\s/@:]{1,64}:[^\s/@]{0,64}@")
_WHATSAPP = re.compile(r"(?i)(?<![\w.-])(?:https?://)?(?:wa\.me/|api\.whatsapp\.com/send\?phone=)"
                       r"\+?\d[\d-]{5,20}\S*")
_SPACE = re.compile(r"\s")
TICKET = re.compile(r"(?i)(?<![\w-])[a-z]{3}(?:-20\d\d-\d{1,6}|20\d{8})(?![\w-])")

# --- secrets -------------------------------------------------------------------------------------
_SECRET_LABEL = re.compile(
    r"(?i)(?<![\w-])(?:(?P<user>user\s?id|userid|user\s?name|username|uname|nama\s+pengguna|"
    r"id\s+pengguna|id\s+login|user(?=[ \t]*[:=]))|(?P<digits>pin|otp|kode\s+otp|"
    r"kode\s+verifikasi|kode\s+aktivasi|kode\s+akses|kode\s+keamanan|token)|"
    r"kata\s+sandi|kata\s+kunci|sandi|password|passwd|"
    r"passphrase|pass|pwd)(?:-?nya)?(?![\w])")
_FILLER = re.compile(
    rf"{_SP}*(?:(?P<sep>[:=]|-(?=\s))|(?P<is>adalah|yaitu|yakni|ialah)(?!\w)|(?:saya|kami|nya|"
    r"baru|lama|sementara|awal|default|yg|yang|dipakai|digunakan|dimasukkan|masukkan|"
    r"pakai|gunakan|ketik|ketikkan|sekarang|tersebut|akun|login)(?!\w))")
# "OTP yang masuk 771234", "PIN BSrE saya 246810": a code a few words after its label.
_CODE_LATER = re.compile(rf"(?:{_SP}+[^\W\d]{{1,20}}){{0,4}}{_SP}*[:=]?{_SP}*(\d(?:[ -]?\d){{3,9}})"
                         r"(?![ \w.,/-]?\d)")
# "Password akun PPK saya: ...": the value after a colon a few words on.
_LATER_COLON = re.compile(rf"(?:{_SP}+[^\s:=]{{1,20}}){{1,4}}{_SP}*[:=]")
_VALUE = re.compile(rf"{_SP}*(?:\"([^\"\n]{{1,64}})\"|'([^'\n]{{1,64}})'|“([^”\n]{{1,64}})”"
                    r"|([^\s,;]{1,64}))")


def emails(text: str) -> list[Span]:
    spans = []
    for m in EMAIL.finditer(text):
        found = m.group()
        if "@" not in found and re.split(r"\W+", found.rstrip(")]}"))[-1].lower() not in _TLD:
            continue
        spans.append((m.start(), m.end(), "email"))
    return spans


def links(text: str) -> list[Span]:
    """A whole link (up to the next space) wherever a secret sits in it; WhatsApp links."""
    spans, after = [], 0
    for m in _URL_SECRET.finditer(text):
        if m.start() < after:
            continue
        start = m.start()  # back to the space before: each character is visited once
        while start > after and not text[start - 1].isspace():
            start -= 1
        space = _SPACE.search(text, m.end())
        end = space.start() if space else len(text)
        while end > start and text[end - 1] in ".,;:!?)]}\"'":
            end -= 1
        while start < end and text[start] in "([{\"'":
            start += 1
        spans.append((start, end, "URL bertoken"))
        after = end
    spans += [(m.start(), m.end(), "telepon") for m in _WHATSAPP.finditer(text)]
    spans += [(m.start(), m.end(), "nomor tiket") for m in TICKET.finditer(text)]
    return spans


def secrets(text: str) -> list[Span]:
    spans = []
    for m in _SECRET_LABEL.finditer(text):
        pos, explicit = m.end(), False
        for _ in range(6):
            f = _FILLER.match(text, pos)
            if not f or f.end() == pos:
                break
            explicit = explicit or bool(f.group("sep") or f.group("is"))
            pos = f.end()
        if m.group("digits") and (later := _CODE_LATER.match(text, m.end())):
            if not re.fullmatch(r"(?:19|20)\d\d", later.group(1)):  # a year is no code
                spans.append((later.start(1), later.end(1), "rahasia"))
            continue
        if not explicit and (colon := _LATER_COLON.match(text, pos)):
            pos, explicit = colon.end(), True
        v = _VALUE.match(text, pos)
        if not v or (v.start(4) == pos and not explicit and text[pos - 1:pos].isalnum()):
            continue
        group = next(i for i in (1, 2, 3, 4) if v.group(i) is not None)
        start, end = v.start(group), v.end(group)
        if group == 4:
            while end > start and text[end - 1] in ".)":
                end -= 1
        value = text[start:end]
        if _is_secret(value, explicit, quoted=group != 4, user=bool(m.group("user")),
                      digits=bool(m.group("digits"))):
            spans.append((start, end, "rahasia"))
    return spans


def _is_secret(value: str, explicit: bool, quoted: bool, user: bool, digits: bool) -> bool:
    if sum(c.isalnum() for c in value) < 3 or bare(value) in STOP:
        return False
    has_digit = any(c.isdigit() for c in value)
    if digits:  # a PIN, OTP or code always holds digits; "kode otp tidak masuk" does not
        return has_digit
    if explicit or quoted or has_digit or any(not c.isalnum() for c in value):
        return True
    return user and value.islower()  # "username saya cvmajujaya"


# --- persons and companies ------------------------------------------------------------------------
_HONORIFIC = re.compile(
    r"(?i)(?<![\w./])(?:(?P<label>a\.\s?n\.?|a/n|an\.|atas\s+nama|nama\s+saya|nama\s+lengkap\s*:?|"
    r"nama\s*:)|bapak|bpk\.?|pak|ibu|bu|sdr\.?|sdri\.?|saudara|saudari|mas|mbak|mba|kak|tn\.?|"
    r"ny\.?|nn\.?|(?-i:Ir|Dr|Drs|Dra|Hj|H|Prof)\.)(?=[ \t\u00a0])")
_COMPANY = re.compile(
    r"(?<![\w./])(?:(?P<upper>PT|P\.T|CV|C\.V|UD|U\.D|PD|Fa|FIRMA|Firma|KOPERASI|Koperasi|KSU|KSP|"
    r"KUD|YAYASAN|Yayasan)|(?P<lower>pt|cv))(?:\.?(?=[ \t\u00a0])|\.(?=[A-Z]))")
_PERSERO = re.compile(r"[ \t]*\((?:Persero|PERSERO)\)(?:[ \t]+Tbk\b\.?)?")
_WORD = re.compile(rf"{_SP}*([^\s,;:()\[\]]+)")


def _words(text: str, pos: int, limit: int) -> list[re.Match]:
    found = []
    while len(found) < limit:
        m = _WORD.match(text, pos)
        if not m:
            break
        found.append(m)
        pos = m.end()
    return found


def _capitalised(word: str) -> bool:
    return word[:1].isupper() and not any(c.isdigit() for c in word)


# Lower-case words with these endings are Indonesian words ("caranya", "sampaikan"), not names.
_AFFIXED = ("nya", "kan", "lah", "kah")


def persons(text: str) -> list[Span]:
    """Names after Pak/Bu/Sdr/a.n./atas nama/nama saya: capitalised words (any words when the
    form of address itself is lower case, as in chat: "pak hendra")."""
    spans = []
    for m in _HONORIFIC.finditer(text):
        lower_ok = m.group()[0].islower() or bool(m.group("label"))
        start = end = None
        taken = 0
        for w in _words(text, m.end(), 7):
            word = w.group(1)
            key = bare(word)
            if key in TITLES and start is None:
                continue  # "Ibu Dra. Siti", "Bapak H. Abdul"
            if start is None and key in COMPANY_FORMS:
                break  # "a.n. PT ...": a company, found below
            if not key or key in STOP or any(c.isdigit() for c in word) or taken == 4:
                break
            if not (_capitalised(word) or (lower_ok and word.isalpha() and taken < 2
                                           and not key.endswith(_AFFIXED))):
                break
            start = w.start(1) if start is None else start
            end = w.end(1) - (len(word) - len(word.rstrip(".,!?")))
            taken += 1
            if word[-1] in ".,!?" and not (len(word) == 2 and word[0].isupper()):
                break  # "Fauzi, S.T." / end of sentence; "M." is an initial
        if start is not None and end > start:
            spans.append((start, end, "nama"))
    return spans


def companies(text: str) -> list[Span]:
    """PT/CV/UD/Koperasi/Yayasan/Firma/PD and the capitalised words after it."""
    spans = []
    for m in _COMPANY.finditer(text):
        lower, end, taken = bool(m.group("lower")), None, 0
        for w in _words(text, m.end(), 9):
            word = w.group(1)
            key = bare(word)
            if word == "&" or key in ("persero", "tbk") and taken:
                end = w.end(1)
                continue
            if word.startswith("(") or not key or key in COMPANY_STOP or taken == 7:
                break
            if not (_capitalised(word) or word.isupper() or (lower and word.isalpha())):
                break
            end = w.end(1) - (len(word) - len(word.rstrip(".,!?")))
            taken += 1
            if word[-1] in ",.!?":
                break
        persero = _PERSERO.match(text, end or m.end())
        if end is not None and taken:
            spans.append((m.start(), persero.end() if persero else end, "perusahaan/instansi"))
    return spans


def given(text: str, names, organizations) -> list[Span]:
    """The reporter's own name and organisation as they gave them, in any case: the whole
    value, a person's name parts, and an organisation without its legal form or shortened to
    its first two words ("PT Sinar Abadi Konstruksi" is also "Sinar Abadi")."""
    patterns: dict[str, str] = {}
    for kind, values in (("nama", names), ("instansi", organizations)):
        for value in values:
            value = " ".join(value.split())
            if len(value) < 3:
                continue
            patterns[value.lower()] = kind
            words = [w for w in re.split(r"[\s,]+", value) if w]
            if kind == "nama":
                for part in words:
                    if len(bare(part)) >= 4 and bare(part) not in STOP | TITLES:
                        patterns[part.strip(".,").lower()] = kind
            else:
                core = words[1:] if bare(words[0]) in COMPANY_FORMS else words
                for piece in (core, core[:2] if len(core) >= 3 else []):
                    phrase = " ".join(piece)
                    if len(phrase) >= 6 and not any(bare(w) in STOP for w in piece[:1]):
                        patterns.setdefault(phrase.lower(), kind)
    spans = []
    for phrase in sorted(patterns, key=len, reverse=True):
        words = [re.escape(w) for w in phrase.split()]
        pattern = re.compile(r"(?i)(?<!\w)" + r"\s+".join(words) + r"(?!\w)")
        spans += [(m.start(), m.end(), patterns[phrase]) for m in pattern.finditer(text)]
    return spans

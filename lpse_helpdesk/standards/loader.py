"""Reading unit standards (`*.toml`, shipped in `lpse_helpdesk/standards/data/`) into validated
`UnitStandard`s.

Every error names the file and the key path (``categories[1].resolution.unit``) because the people
who edit these files are unit staff, not Python developers: msgspec's ``at `$.a[0].b` `` suffix is
turned into that path, and enum errors list the accepted values.
"""

from __future__ import annotations

import os
import re
import tomllib
import types
import typing
from pathlib import Path
from typing import Any, Iterable, Literal, get_args, get_origin

import msgspec

from . import validation
from .model import Problem, StandardError, UnitStandard

_AT = re.compile(r"^(?P<msg>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.S)
_TOKEN = re.compile(r"\.([^.\[]+)|\[(\d+)\]")
_TOML_POS = re.compile(r"\s*\(at (?:line (?P<line>\d+), column (?P<col>\d+)|end of document)\)\s*$")
# msgspec names JSON-ish types; the editors write TOML.
_TOML_TYPES = {"object": "table", "str": "string", "int": "integer", "bool": "boolean", "array": "array"}


SHIPPED_DIR = Path(__file__).parent / "data"


def default_standards_dir() -> Path:
    """`HELPDESK_STANDARDS_DIR`, else the five standards shipped inside the package."""
    env = os.environ.get("HELPDESK_STANDARDS_DIR")
    return Path(env) if env else SHIPPED_DIR


def load_standard(path: str | os.PathLike[str]) -> UnitStandard:
    """Load and validate one file; StandardError (a ValueError) lists what is wrong."""
    standard, problems = _read(path)
    if problems or standard is None:
        raise StandardError(problems)
    return standard


def load_standards(directory: str | os.PathLike[str] | None = None) -> dict[str, UnitStandard]:
    """All `*.toml` in `directory` (default: `default_standards_dir()`), keyed by tenant."""
    folder = Path(directory) if directory is not None else default_standards_dir()
    paths = sorted(folder.glob("*.toml"))
    if not paths:
        raise StandardError([Problem("", "no *.toml unit standards found", file=str(folder))])
    standards, problems = _read_all(paths)
    if problems:
        raise StandardError(problems)
    return {s.tenant: s for s in standards}


def check_files(paths: Iterable[str | os.PathLike[str]]) -> list[str]:
    """Human-readable error lines (`file: key.path: message`); empty when every file is valid."""
    _, problems = _read_all(list(paths))
    return [str(p) for p in problems]


def _read_all(paths: list[Any]) -> tuple[list[UnitStandard], list[Problem]]:
    standards: list[UnitStandard] = []
    problems: list[Problem] = []
    owners: dict[tuple[str, str], str] = {}  # (key, value) -> file, for values that must be unique
    for path in paths:
        standard, found = _read(path)
        problems += found
        if standard is None:
            continue
        standards.append(standard)
        for key in ("tenant", "number_prefix", "helpdesk_email"):
            value = getattr(standard, key)
            owner = owners.setdefault((key, value.lower()), os.fspath(path))
            if owner != os.fspath(path):
                problems.append(Problem(key, f"{value!r} is already used by {owner} "
                                        "(harus unik antar unit)", file=os.fspath(path)))
    return standards, problems


def _read(path: str | os.PathLike[str]) -> tuple[UnitStandard | None, list[Problem]]:
    name = os.fspath(path)
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except OSError as exc:
        reason = exc.strerror or exc
        return None, [Problem("", f"cannot read file: {reason} (file tidak bisa dibaca)", name)]
    except tomllib.TOMLDecodeError as exc:
        return None, [_toml_problem(str(exc), name)]
    except UnicodeDecodeError:
        return None, [Problem("", "not UTF-8 text (file harus UTF-8)", name)]
    try:
        standard = msgspec.convert(data, UnitStandard)
    except msgspec.ValidationError as exc:
        return None, [_shape_problem(str(exc), data, name)]
    problems = list(validation.problems(standard, Path(name).stem))
    if problems:
        return None, [p._replace(file=name) for p in problems]
    return standard, []


def _toml_problem(message: str, file: str) -> Problem:
    match = _TOML_POS.search(message)
    text = message[: match.start()] if match else message
    where = "end of file"
    if match and match["line"]:
        where = f"line {match['line']}, column {match['col']}"
    return Problem(where, f"TOML syntax error (sintaks TOML salah): {text}", file)


def _shape_problem(error: str, data: Any, file: str) -> Problem:
    """Translate msgspec's message (`... - at `$.a[0].b``) into `a[0].b: ...`."""
    match = _AT.match(error)
    assert match is not None  # the pattern matches any string
    msg, tokens = match["msg"], _tokens(match["path"] or "")
    hint = _type_at(UnitStandard, tokens)
    if m := re.fullmatch(r"Object contains unknown field `(.+)`", msg):
        allowed = _struct_keys(hint)
        extra = f"; allowed keys: {', '.join(allowed)}" if allowed else ""
        return Problem(_join([*tokens, m[1]]), f"unknown key (kunci tidak dikenal){extra}", file)
    if m := re.fullmatch(r"Object missing required field `(.+)`", msg):
        return Problem(_join([*tokens, m[1]]), "missing required key (kunci wajib tidak ada)", file)
    found, value = _value_at(data, tokens)
    if msg.startswith("Invalid enum value") and get_origin(hint) is Literal:
        choices = ", ".join(repr(v) for v in get_args(hint))
        text = f"expected one of {choices}, got {value!r} (nilai tidak dikenal)"
        return Problem(_join(tokens), text, file)
    text = re.sub(r"`([^`]*)`", lambda t: _TOML_TYPES.get(t[1], t[1]), msg)
    text = text[:1].lower() + text[1:]
    if found and not isinstance(value, (dict, list)):
        text += f" (value {value!r})" if ", got" in text else f", got {value!r}"
    return Problem(_join(tokens), f"{text} (nilai tidak valid)", file)


def _tokens(path: str) -> list[str | int]:
    return [key if key else int(index) for key, index in _TOKEN.findall(path)]


def _join(tokens: list[str | int]) -> str:
    out = ""
    for t in tokens:
        out += f"[{t}]" if isinstance(t, int) else (f".{t}" if out else t)
    return out or "(top level)"


def _strip(tp: Any) -> Any:
    """Peel Annotated[...] and Optional[...] down to the interesting type."""
    while True:
        if get_origin(tp) is typing.Annotated:
            tp = get_args(tp)[0]
        elif get_origin(tp) in (typing.Union, types.UnionType):
            args = [a for a in get_args(tp) if a is not type(None)]
            if len(args) != 1:
                return tp
            tp = args[0]
        else:
            return tp


def _type_at(tp: Any, tokens: list[str | int]) -> Any:
    for token in tokens:
        tp = _strip(tp)
        if isinstance(token, int):
            args = get_args(tp)
            if len(args) == 2 and args[1] is Ellipsis:
                tp = args[0]
            elif token < len(args):
                tp = args[token]
            else:
                return None
        elif isinstance(tp, type) and issubclass(tp, msgspec.Struct):
            tp = typing.get_type_hints(tp, include_extras=True).get(token)
        else:
            return None
    return _strip(tp)


def _struct_keys(tp: Any) -> list[str]:
    if isinstance(tp, type) and issubclass(tp, msgspec.Struct):
        return [f.encode_name for f in msgspec.structs.fields(tp)]
    return []


def _value_at(data: Any, tokens: list[str | int]) -> tuple[bool, Any]:
    for token in tokens:
        try:
            data = data[token]
        except (KeyError, IndexError, TypeError):
            return False, None
    return True, data

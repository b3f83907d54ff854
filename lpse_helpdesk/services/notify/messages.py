"""The mails' words (Jinja2, Bahasa Indonesia): a plain text part and an HTML part with real
paragraphs, line breaks and links. Who gets which mail is decisions.py."""

from __future__ import annotations

import re
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

# A web address in the text: its trailing punctuation ends the sentence, not the address.
_URL = re.compile(r"https?://[^\s<>\"']+")
_TRAILING = ".,;:!?)]}'\""
_PARAGRAPH = re.compile(r"\n[ \t]*\n")


def _linked(line: str) -> str:
    if "http" not in line:  # most lines: nothing to link, only to escape
        return escape(line)
    parts, pos = [], 0
    for found in _URL.finditer(line):
        url = found.group(0).rstrip(_TRAILING)
        href = escape(url)
        parts += [escape(line[pos:found.start()]), f'<a href="{href}">{href}</a>']
        pos = found.start() + len(url)
    parts.append(escape(line[pos:]))
    return "".join(parts)


def paragraphs(text: str) -> Markup:
    """Plain text as HTML: blank lines make paragraphs, line breaks `<br>`, web addresses
    links; everything else escaped (the text holds what reporters and staff typed).
    Joined as plain strings of escaped parts and marked safe once: Markup's own join and
    format escape-check every piece again (most of the filter's time in a profile)."""
    out = []
    for paragraph in _PARAGRAPH.split(text.strip()):
        lines = [_linked(line) for line in paragraph.strip("\n").split("\n")]
        out.append("<p>" + "<br>\n".join(lines) + "</p>")
    return Markup("\n".join(out))


# The templates ship with the package and never change while it runs: no modification-time
# check (a stat of the file) on every mail, which was a third of a mail's rendering.
_text = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                    undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False,
                    auto_reload=False)
_html = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                    undefined=StrictUndefined, autoescape=select_autoescape(["html"]),
                    auto_reload=False)
_html.filters["paragraphs"] = paragraphs


_compiled: dict[str, object] = {}  # name -> Template: no loader look-up (a lock, a key) per mail


def _template(env: Environment, name: str):
    key = f"{id(env)}:{name}"
    found = _compiled.get(key)
    if found is None:
        found = _compiled[key] = env.get_template(name)
    return found


def render(template: str, context: dict) -> tuple[str, str, str]:
    """(subject, plain text, html): the template's first line is the subject."""
    subject, _, text = _template(_text, f"{template}.txt").render(context).partition("\n")
    html = _template(_html, "base.html").render(subject=subject, text=text.strip(), **context)
    return subject.strip(), text.strip() + "\n", html

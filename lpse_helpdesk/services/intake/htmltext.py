"""An HTML-only mail as the text a person reads: paragraphs, line breaks and lists kept,
scripts, styles and markup gone, so that `Telepon: 0812...` stays a line of its own.

inscriptis (Apache-2.0, on lxml's C parser) rather than html2text: html2text writes Markdown
(`[tautan](url)`, tables as `a| b`, escapes) that a clerk would read as noise, and it is GPL;
on the same mail inscriptis was about 30 times faster (0.02 s against 0.67 s for 600 KB), and
20,000 nested `<div>` took it 3 ms. It still only ever sees `HTML_CHARS` characters.
"""

from __future__ import annotations

import re

from inscriptis import get_text
from inscriptis.model.config import ParserConfig

HTML_CHARS = 200_000
_CONFIG = ParserConfig(display_links=False, display_images=False)
_BLANKS = re.compile(r"\n{3,}")


def html_to_text(html: str) -> str:
    html = html[:HTML_CHARS]
    if not html.strip():
        return ""
    try:
        text = get_text(html, _CONFIG)
    except (ValueError, TypeError):  # lxml finds no document in it: read it as text
        text = re.sub(r"<[^>]{0,1000}>", " ", html)
    lines = (line.strip() for line in text.splitlines())
    return _BLANKS.sub("\n\n", "\n".join(lines)).strip()

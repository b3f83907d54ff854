"""A bound on how deeply a JSON body nests, checked before it is decoded.

msgspec decodes recursively: a body of a few thousand `[` ends in a RecursionError deep in the
decoder. No payload of the API nests more than a few levels, so anything past `MAX_DEPTH` is
refused with 400 before decoding. The check costs two `bytes.count` calls for an ordinary body;
only a body with many brackets is walked.
"""

from __future__ import annotations

import re

MAX_DEPTH = 32
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')
_BRACKET = re.compile(rb"[\[\]{}]")


def too_deep(body: bytes, limit: int = MAX_DEPTH) -> bool:
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    depth = 0
    for match in _BRACKET.finditer(_STRING.sub(b'""', body)):
        if match.group() in (b"[", b"{"):
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False

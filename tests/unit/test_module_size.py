"""No module of the package over 300 lines: a longer one holds more than one idea, and is split
by meaning (docs/design.md, "Style")."""

from __future__ import annotations

from pathlib import Path

import lpse_helpdesk

PACKAGE = Path(lpse_helpdesk.__file__).parent
LIMIT = 300


def too_long(folder: Path, limit: int = LIMIT) -> list[str]:
    found = []
    for path in sorted(folder.rglob("*.py")):
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > limit:
            found.append(f"{path.relative_to(folder.parent)}: {lines} lines")
    return found


def test_the_check_names_a_long_module(tmp_path):
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "short.py").write_text("x = 1\n" * 3)
    (package / "sub" / "long.py").write_text("x = 1\n" * 4)
    assert too_long(package, limit=3) == ["pkg/sub/long.py: 4 lines"]


def test_no_module_is_over_300_lines():
    found = too_long(PACKAGE)
    assert not found, f"modules over {LIMIT} lines (split by meaning):\n" + "\n".join(found)

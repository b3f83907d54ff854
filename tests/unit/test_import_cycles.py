"""No import cycles among the package's modules, counting every import wherever it is written.

An import inside a function or an `if TYPE_CHECKING:` block still ties the two modules
together: it only hides the cycle from Python until the call. So every `import` and
`from ... import` in a module's syntax tree counts; `from . import x` counts `x` when it is a
module. The search is Tarjan's strongly connected components (a few dozen lines here, rather
than a graph library in the fast layer).
"""

from __future__ import annotations

import ast
from collections import deque
from collections.abc import Iterator
from pathlib import Path

import lpse_helpdesk

PACKAGE = Path(lpse_helpdesk.__file__).parent


def modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def statements(body: list) -> Iterator[ast.AST]:
    """Every statement, however deeply nested in functions, classes, `if`, `try`, `with` or
    `match` (imports are statements; skipping the expressions keeps this fast)."""
    for node in body:
        yield node
        for field in ("body", "orelse", "finalbody", "handlers", "cases"):
            yield from statements(getattr(node, field, None) or [])


def imports(name: str, path: Path, known: dict[str, Path]) -> dict[str, int]:
    """The package's modules that `name` imports anywhere, each with the line of one import."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    edges: dict[str, int] = {}
    for node in statements(ast.parse(path.read_text(encoding="utf-8"), str(path)).body):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            submodules = [f"{source}.{a.name}" for a in node.names if f"{source}.{a.name}" in known]
            # Names that are not all submodules come from the module `source` itself.
            targets = submodules if len(submodules) == len(node.names) else [source, *submodules]
        else:
            continue
        for target in targets:
            if target in known and target != name:
                edges.setdefault(target, node.lineno)
    return edges


def strongly_connected(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative (no recursion limit to think about)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(graph[root]))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, successors = work[-1]
            for successor in successors:
                if successor not in index:
                    index[successor] = low[successor] = len(index)
                    stack.append(successor)
                    on_stack.add(successor)
                    work.append((successor, iter(graph[successor])))
                    break
                if successor in on_stack:
                    low[node] = min(low[node], index[successor])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    components.append(sorted(component))
    return components


def one_cycle(graph: dict[str, dict[str, int]], component: list[str]) -> str:
    """A shortest cycle through the component's first module, with the import lines."""
    members, start = set(component), component[0]
    came_from: dict[str, str] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for successor in graph[node]:
            if successor not in members:
                continue
            if successor == start:
                path = [node]
                while path[-1] != start:
                    path.append(came_from[path[-1]])
                path.reverse()
                steps = [f"{a} (line {graph[a][b]})" for a, b in zip(path, [*path[1:], start])]
                return " -> ".join([*steps, start])
            if successor not in came_from:
                came_from[successor] = node
                queue.append(successor)
    raise AssertionError(f"no cycle found in {component}")  # not reached for a real component


def test_the_search_finds_a_cycle_and_names_it():
    graph = {"a": {"b": 3}, "b": {"c": 5}, "c": {"a": 7}, "d": {"a": 1}}
    [component] = [c for c in strongly_connected(graph) if len(c) > 1]
    assert component == ["a", "b", "c"]
    assert one_cycle(graph, component) == "a (line 3) -> b (line 5) -> c (line 7) -> a"


def test_imports_inside_functions_and_type_checking_blocks_count(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                      "    from .a import X\ndef f():\n    from . import b\n")
    known = {"p.m": module, "p.a": tmp_path / "a.py", "p.b": tmp_path / "b.py"}
    assert imports("p.m", module, known) == {"p.a": 3, "p.b": 5}


def test_no_module_of_the_package_imports_itself_back():
    known = modules()
    graph = {name: imports(name, path, known) for name, path in known.items()}
    cycles = [one_cycle(graph, c) for c in strongly_connected(graph) if len(c) > 1]
    assert not cycles, "import cycles:\n" + "\n".join(cycles)

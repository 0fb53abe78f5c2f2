"""The import layers: accounts/audit/core at the bottom, then geo, then interventions, then
the apps people use. An import inside a function counts like one at the top of a module:
dodging a cycle that way is still a cycle.

Read from the source with `ast` (no import is run), so this fails on the line that adds a
wrong import, whichever test runs first.
"""

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = (
    "core",
    "accounts",
    "audit",
    "geo",
    "interventions",
    "dispatch",
    "agent",
    "dashboards",
    "tiles",
    "ogc",
    "administration",
)
UI_APPS = ("dispatch", "agent", "dashboards", "tiles", "ogc", "administration")
# What each layer must never import (any module of these packages).
FORBIDDEN = {
    # core sits beside accounts at the bottom: it may read communities and memberships.
    "core": ("audit", "geo", "interventions", *UI_APPS, "config"),
    "accounts": ("geo", "interventions", *UI_APPS),
    "audit": ("geo", "interventions", *UI_APPS),
    "geo": ("interventions", *UI_APPS),
    "interventions": UI_APPS,
}


def _modules() -> dict[str, Path]:
    found = {}
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            rel = path.relative_to(ROOT).with_suffix("")
            parts = list(rel.parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """Project modules that `name` imports, anywhere in the file (TYPE_CHECKING excepted)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    skip: set[int] = set()
    for node in ast.walk(tree):
        # `if TYPE_CHECKING:` imports do not run: annotations only.
        if (
            isinstance(node, ast.If)
            and getattr(node.test, "id", getattr(node.test, "attr", "")) == "TYPE_CHECKING"
        ):
            skip.update(id(n) for n in ast.walk(node))
    targets: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            targets.add(base)
            targets.update(f"{base}.{alias.name}" for alias in node.names)
    resolved = set()
    for target in targets:
        # The longest project module the dotted name starts with.
        parts = target.split(".")
        while parts and ".".join(parts) not in known:
            parts.pop()
        if parts and ".".join(parts) != name:
            resolved.add(".".join(parts))
    return resolved


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    known = set(modules)
    return {name: _imports(name, path, known) for name, path in modules.items()}


def test_lower_layers_never_import_higher_ones():
    wrong = []
    for name, targets in _graph().items():
        app = name.split(".")[0]
        for target in targets:
            if target.split(".")[0] in FORBIDDEN.get(app, ()):
                wrong.append(f"{name} imports {target}")
    assert not wrong, "\n".join(sorted(wrong))


def test_no_import_cycle_between_modules():
    graph = _graph()
    # A package's __init__ importing its own submodules (re-exports) is not a cycle.
    edges = defaultdict(set)
    for name, targets in graph.items():
        for target in targets:
            if not target.startswith(name + "."):
                edges[name].add(target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    counter = [0]

    def visit(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in edges.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    import sys

    sys.setrecursionlimit(10_000)
    for node in sorted(graph):
        if node not in index:
            visit(node)
    assert not cycles, "\n".join(" <-> ".join(c) for c in cycles)

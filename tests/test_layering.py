"""The package's layering, read from the source with `ast`: the analysis core (stages, pipeline, shared helpers,
dataset readers, the analysis object) never imports a shell (CLI, web, corpus) or the training code, evaluation
never imports training, and the modules' top-level imports have no cycle."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "sourcetrace"

CORE = ("sourcetrace.stages", "sourcetrace.pipeline", "sourcetrace._ml", "sourcetrace.datasets",
        "sourcetrace.analysis")
SHELLS = ("sourcetrace.cli", "sourcetrace.web", "sourcetrace.corpus", "training")


def _modules() -> dict[str, Path]:
    modules = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def _within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == prefix or name.startswith(prefix + ".") for prefix in prefixes)


def _imported(module: str, path: Path, *, top_level_only: bool) -> set[str]:
    """Module names the file imports (`from a import b` counts as a and a.b); with `top_level_only`, the imports
    a function runs when called are left out."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    found: set[str] = set()

    def visit(nodes: list[ast.stmt] | list[ast.AST], in_function: bool) -> None:
        for node in nodes:
            if isinstance(node, ast.Import) and not (top_level_only and in_function):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and not (top_level_only and in_function):
                base = node.module or ""
                if node.level:
                    parent = package[:len(package) - node.level + 1]
                    base = ".".join([*parent, base] if base else parent)
                found.add(base)
                found.update(f"{base}.{alias.name}" for alias in node.names)
            for child in ast.iter_child_nodes(node):
                visit([child], in_function or isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)))

    visit(tree.body, False)
    return found


def test_the_analysis_core_never_imports_a_shell_or_training():
    offences = []
    for module, path in sorted(_modules().items()):
        if not _within(module, CORE):
            continue
        for name in sorted(_imported(module, path, top_level_only=False)):
            if _within(name, SHELLS):
                offences.append(f"{module} imports {name}")
    assert not offences, "\n".join(offences)


def test_evaluation_never_imports_training():
    offences = [f"{module} imports {name}" for module, path in sorted(_modules().items())
                if _within(module, ("sourcetrace.evaluate",))
                for name in sorted(_imported(module, path, top_level_only=False)) if _within(name, ("training",))]
    assert not offences, "\n".join(offences)


def _import_graph() -> dict[str, set[str]]:
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        targets = set()
        for name in _imported(module, path, top_level_only=True):
            while name and name not in modules:  # `from a.b import function` is an import of a.b
                name = name.rpartition(".")[0]
            if name and name != module:
                targets.add(name)
        graph[module] = targets
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                connect(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return components


def test_the_package_import_graph_has_no_cycle():
    assert _cycles(_import_graph()) == []


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]

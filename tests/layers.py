"""The layers of the `forum` package, and a checker that holds the code to them.

The package's folders are layers. A module may import modules of its own layer's package
and of lower layers, never of a higher layer; the packages that share a layer (the event
log and the audit log; ops and demo) do not import each other unless the layer says so.
`LAYERS` below is the intended order, lowest first; docs/architecture.md explains it.

The checker reads the source with `ast` and imports nothing it checks. It finds:

- upward imports: a module that imports a module of a higher layer (or of a sibling
  package in an independent layer), wherever the import sits: at the top, under
  `if TYPE_CHECKING:`, or inside a function;
- import cycles between modules, counting every import that runs or is type-checked at
  module level (imports inside functions are how a cycle is broken, so they do not count);
- imports of the package inside a function body without a comment containing "cycle" on
  that line or the line above, saying which cycle the lazy import breaks (lazy imports of
  third-party modules, such as redis, are not concerned);
- modules longer than `MAX_LINES` whose docstring has no sentence starting with
  "Long because";
- modules that no layer of the table claims.

`check_package(path, LAYERS)` returns a `Findings`; tests/unit/test_layers.py asserts it
is empty for `forum/` and that a synthetic package's known faults are found.
`python -m tests.layers` prints every finding at once, one a line.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

MAX_LINES = 500
LONG_BECAUSE = re.compile(r"(?:\A|[.!?:;]\s+|\n\s*)Long because\b")


@dataclass(frozen=True)
class Layer:
    """One layer: the packages or modules in it, by dotted name.

    `independent`: the packages of this layer may not import each other (streams and
    audit; ops and demo). The edges (app, cli, ...) set it to False: they may import each
    other, as long as they do not form a cycle.
    """

    number: int
    members: tuple[str, ...]
    independent: bool = True


# The intended order of forum's layers, lowest first. A name claims itself and everything
# under it, the longest name winning; only the package root claims nothing but itself
# (`forum/__init__.py`, which holds the version), so that a new folder must be placed here.
LAYERS: tuple[Layer, ...] = (
    Layer(0, ("forum",)),
    Layer(1, ("forum.settings",)),
    Layer(2, ("forum.lib",)),
    # The search index (forum.search) sits beside the logs, below every domain that writes
    # text; its reads (forum.searching) need the visibility rules of them all.
    Layer(3, ("forum.streams", "forum.audit", "forum.search")),
    Layer(4, ("forum.accounts",)),
    Layer(5, ("forum.spaces",)),
    Layer(6, ("forum.threads",)),
    # Round tables and feedback sit beside the cafés: none imports another.
    Layer(7, ("forum.cafes", "forum.roundtables", "forum.feedback")),
    Layer(8, ("forum.moderation", "forum.searching", "forum.attention")),
    # Mail reads notifications; the report reads threads, cafés, round tables and
    # feedback. Nothing below reads either, and neither reads the other.
    Layer(9, ("forum.mail", "forum.reports")),
    Layer(10, ("forum.realtime",)),
    Layer(11, ("forum.ops", "forum.demo")),
    Layer(
        12,
        ("forum.models", "forum.app", "forum.cli", "forum.__main__"),
        independent=False,
    ),
)


@dataclass(frozen=True)
class Module:
    """One module of the package: its dotted name, file (relative to the root) and source."""

    name: str
    path: Path
    source: str
    is_package: bool = False


@dataclass(frozen=True)
class Import:
    """`importer` imports `target` (both modules of the package) at `path:line`."""

    importer: str
    target: str
    path: Path
    line: int
    end_line: int  # the statement's last line: a comment may close a parenthesised import
    lazy: bool  # inside a function body: runs when called, not when the module loads

    @property
    def where(self) -> str:
        return f"{self.path.as_posix()}:{self.line}"


@dataclass
class Findings:
    """What the checker found; every list holds one readable line per problem."""

    upward: list[str] = field(default_factory=list)
    cycles: list[str] = field(default_factory=list)
    lazy: list[str] = field(default_factory=list)
    long: list[str] = field(default_factory=list)
    unplaced: list[str] = field(default_factory=list)

    def all(self) -> list[str]:
        return [*self.unplaced, *self.upward, *self.cycles, *self.lazy, *self.long]


# Reading the package ---------------------------------------------------------------------


def load_package(package_dir: Path, root: Path | None = None) -> list[Module]:
    """Every module of the package at `package_dir`: folders with an `__init__.py`, walked
    down; paths are given relative to `root` (by default the folder holding the package)."""
    root = root if root is not None else package_dir.parent
    modules: list[Module] = []

    def walk(folder: Path, dotted: str) -> None:
        for path in sorted(folder.iterdir()):
            if path.is_dir():
                if (path / "__init__.py").is_file():
                    walk(path, f"{dotted}.{path.name}")
            elif path.suffix == ".py":
                is_package = path.name == "__init__.py"
                name = dotted if is_package else f"{dotted}.{path.stem}"
                source = path.read_text(encoding="utf-8")
                modules.append(Module(name, path.relative_to(root), source, is_package))

    walk(package_dir, package_dir.name)
    return modules


class _ImportCollector(ast.NodeVisitor):
    """Every import statement of one module, with whether it sits inside a function."""

    def __init__(self) -> None:
        self.found: list[tuple[ast.Import | ast.ImportFrom, bool]] = []
        self._depth = 0

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self._depth += 1
        self.generic_visit(node)
        self._depth -= 1

    visit_FunctionDef = visit_AsyncFunctionDef = _function

    def visit_Import(self, node: ast.Import) -> None:
        self.found.append((node, self._depth > 0))

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        self.found.append((node, self._depth > 0))


def _known(name: str, names: set[str]) -> str:
    """The longest prefix of the dotted `name` that is a module we know (else `name`)."""
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in names:
            return candidate
    return name


def _targets(module: Module, node: ast.Import | ast.ImportFrom, names: set[str]) -> Iterator[str]:
    """The modules an import statement names, resolved: relative imports against the
    importer's package, and `from a import b` to `a.b` when `b` is a module, else `a`."""
    if isinstance(node, ast.Import):
        for alias in node.names:
            yield _known(alias.name, names)
        return
    if node.level:
        package = module.name if module.is_package else module.name.rpartition(".")[0]
        parts = package.split(".")
        base = ".".join(parts[: len(parts) - (node.level - 1)])
        base = f"{base}.{node.module}" if node.module else base
    else:
        base = node.module or ""
    for alias in node.names:
        submodule = f"{base}.{alias.name}"
        yield submodule if submodule in names else _known(base, names)


def collect_imports(modules: Sequence[Module]) -> list[Import]:
    """Every import, by any module of the package, of a module of the same package."""
    names = {m.name for m in modules}
    roots = {m.name.split(".")[0] for m in modules}
    found: dict[tuple[str, str, int], Import] = {}
    for module in modules:
        collector = _ImportCollector()
        collector.visit(ast.parse(module.source, filename=str(module.path)))
        for node, lazy in collector.found:
            for target in _targets(module, node, names):
                if target.split(".")[0] not in roots or target == module.name:
                    continue
                key = (module.name, target, node.lineno)
                end_line = node.end_lineno or node.lineno
                found.setdefault(key, Import(module.name, target, module.path, node.lineno, end_line, lazy))
    return sorted(found.values(), key=lambda i: (i.path.as_posix(), i.line, i.target))


# The rules -------------------------------------------------------------------------------


def _place(name: str, layers: Sequence[Layer]) -> tuple[Layer, str] | None:
    """The layer that claims a module, and the member name that claims it (longest wins;
    the package root, a name without a dot, claims only itself)."""
    best: tuple[Layer, str] | None = None
    for layer in layers:
        for member in layer.members:
            claims = name == member or ("." in member and name.startswith(member + "."))
            if claims and (best is None or len(member) > len(best[1])):
                best = (layer, member)
    return best


def check_layers(imports: Iterable[Import], layers: Sequence[Layer]) -> list[str]:
    """Imports that point up, or sideways between the packages of an independent layer."""
    problems = []
    for imp in imports:
        here, there = _place(imp.importer, layers), _place(imp.target, layers)
        if here is None or there is None:
            continue  # reported by check_placed
        (low, low_member), (high, high_member) = here, there
        if high.number > low.number:
            problems.append(f"{imp.where} imports {imp.target} (layer {high.number} > {low.number})")
        elif high.number == low.number and high.independent and high_member != low_member:
            problems.append(
                f"{imp.where} imports {imp.target} "
                f"({high_member} and {low_member} are independent siblings in layer {high.number})"
            )
    return problems


def check_placed(modules: Iterable[Module], layers: Sequence[Layer]) -> list[str]:
    """Modules that no layer claims: a new top-level package must be given a layer."""
    return [
        f"{m.path.as_posix()}: {m.name} is in no layer; add it to LAYERS in tests/layers.py"
        for m in modules
        if _place(m.name, layers) is None
    ]


def find_cycles(imports: Iterable[Import]) -> list[list[Import]]:
    """One cycle per strongly connected group of modules, over the module-level imports."""
    graph: dict[str, dict[str, Import]] = {}
    for imp in imports:
        if not imp.lazy:
            graph.setdefault(imp.importer, {}).setdefault(imp.target, imp)
    cycles = []
    for group in _strongly_connected(graph):
        if len(group) > 1:
            cycles.append(_cycle_in(min(group), group, graph))
    return sorted(cycles, key=lambda c: c[0].importer)


def _strongly_connected(graph: dict[str, dict[str, Import]]) -> list[set[str]]:
    """Tarjan's algorithm, iterative so that a deep chain of imports cannot overflow."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []
    nodes = sorted(set(graph) | {t for targets in graph.values() for t in targets})
    for start in nodes:
        if start in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(start, iter(sorted(graph.get(start, {}))))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, targets = work[-1]
            target = next(targets, None)
            if target is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    group = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.add(member)
                        if member == node:
                            break
                    groups.append(group)
            elif target not in index:
                index[target] = low[target] = len(index)
                stack.append(target)
                on_stack.add(target)
                work.append((target, iter(sorted(graph.get(target, {})))))
            elif target in on_stack:
                low[node] = min(low[node], index[target])
    return groups


def _cycle_in(start: str, group: set[str], graph: dict[str, dict[str, Import]]) -> list[Import]:
    """A shortest path of imports from `start` back to itself, inside one group."""
    came_from: dict[str, Import] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for target, imp in sorted(graph.get(node, {}).items()):
                if target not in group or target in came_from:
                    continue
                came_from[target] = imp
                if target == start:
                    path = [imp]
                    while path[0].importer != start:
                        path.insert(0, came_from[path[0].importer])
                    return path
                following.append(target)
        frontier = following
    raise AssertionError(f"{start} is in a cycle but no path leads back to it")  # cannot happen


def describe_cycle(cycle: Sequence[Import]) -> str:
    chain = " -> ".join([cycle[0].importer, *(imp.target for imp in cycle)])
    return f"cycle: {chain} ({', '.join(imp.where for imp in cycle)})"


def _comment_lines(source: str) -> dict[int, str]:
    """The comments of a module, by line number."""
    comments: dict[int, str] = {}
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            comments[token.start[0]] = token.string
    return comments


def check_lazy(modules: Sequence[Module], imports: Iterable[Import]) -> list[str]:
    """Imports of the package inside a function, without a comment naming the cycle."""
    comments = {m.name: _comment_lines(m.source) for m in modules}
    problems = []
    for imp in imports:
        if not imp.lazy:
            continue
        lines = range(imp.line - 1, imp.end_line + 1)
        if not any("cycle" in comments[imp.importer].get(n, "").lower() for n in lines):
            problems.append(
                f"{imp.where} imports {imp.target} inside a function; import it at the top, "
                "or say on that line or the line above which cycle it breaks (# ... cycle ...)"
            )
    return problems


def check_length(modules: Iterable[Module], max_lines: int = MAX_LINES) -> list[str]:
    """Modules over `max_lines` lines whose docstring does not say 'Long because ...'."""
    problems = []
    for m in modules:
        count = len(m.source.splitlines())
        if count <= max_lines:
            continue
        docstring = ast.get_docstring(ast.parse(m.source)) or ""
        if not LONG_BECAUSE.search(docstring):
            problems.append(
                f"{m.path.as_posix()}: {count} lines (> {max_lines}); split it, or give the reason "
                "in its docstring in a sentence starting with 'Long because'"
            )
    return problems


def check(modules: Sequence[Module], layers: Sequence[Layer], max_lines: int = MAX_LINES) -> Findings:
    imports = collect_imports(modules)
    return Findings(
        upward=check_layers(imports, layers),
        cycles=[describe_cycle(c) for c in find_cycles(imports)],
        lazy=check_lazy(modules, imports),
        long=check_length(modules, max_lines),
        unplaced=check_placed(modules, layers),
    )


def check_package(package_dir: Path, layers: Sequence[Layer] = LAYERS, root: Path | None = None) -> Findings:
    return check(load_package(package_dir, root), layers)


if __name__ == "__main__":
    found = check_package(Path(__file__).resolve().parents[1] / "forum").all()
    print("\n".join(found) or "no findings")
    raise SystemExit(1 if found else 0)

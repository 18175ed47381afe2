"""The architecture, read from the source with ``ast``: layers, the storage boundary, no import cycles.

``cpe_cli`` is four layers (README, "Architecture"): ``core`` (the domain,
no I/O frameworks), ``store`` (the database and the certificate files: all
SQL), ``ops`` (use cases over core and store) and ``cli`` (Typer, Click and
Rich: the command line). These tests hold the lines between them:

- only ``cli/`` imports typer, click or rich;
- only ``store/`` imports sqlite3 or sqlite_utils, runs a statement
  (``execute``, ``executemany``, ``executescript``) or reaches a connection
  (``.conn``);
- ``core`` imports nothing of store, ops or cli; ``store`` only core;
  ``ops`` only core and store;
- no module imports another's private (underscore) name, directly or as an
  attribute of something it imported;
- the modules loaded at import time form no cycle.

Every import counts, wherever it is written (at the top or inside a
function, where cpe puts the heavy ones); the cycle test counts only those
that run when the module is imported (not inside a function, not under
``if TYPE_CHECKING``). Each failure names the module and the line.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import cpe_cli

PACKAGE_DIR = Path(cpe_cli.__file__).parent
ROOT = "cpe_cli"
LAYERS = ("core", "store", "ops", "cli")
# What each layer may import from the package (besides itself, and the root package's ``__version__``).
ALLOWED = {"core": {"core"}, "store": {"core", "store"}, "ops": {"core", "store", "ops"}}
COMMAND_LINE_PACKAGES = ("typer", "click", "rich")
DATABASE_PACKAGES = ("sqlite3", "sqlite_utils")
STATEMENT_METHODS = ("execute", "executemany", "executescript")


@dataclass(frozen=True)
class Import:
    line: int
    target: str  # the absolute module named by the statement (``from X import y``: X)
    names: tuple[str, ...]  # ``from X import y, z``: (y, z); ``import X``: ()
    at_import_time: bool  # runs when the module is imported (not in a function, not under TYPE_CHECKING)


@dataclass(frozen=True)
class Module:
    name: str
    path: Path
    tree: ast.Module
    imports: tuple[Import, ...]

    @property
    def shown(self) -> str:
        return str(self.path.relative_to(PACKAGE_DIR.parent))

    @property
    def layer(self) -> str | None:
        parts = self.name.split(".")
        return parts[1] if len(parts) > 1 and parts[1] in LAYERS else None

    @property
    def package(self) -> str:
        return self.name if self.path.name == "__init__.py" else self.name.rpartition(".")[0]


def module_name(path: Path) -> str:
    parts = [PACKAGE_DIR.name, *path.relative_to(PACKAGE_DIR).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def absolute(node: ast.ImportFrom, package: str) -> str:
    if not node.level:
        return node.module or ""
    base = package.split(".")
    base = base[:len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or \
        (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def collect_imports(tree: ast.Module, package: str) -> tuple[Import, ...]:
    found: list[Import] = []

    def visit(node: ast.AST, at_import_time: bool) -> None:
        if isinstance(node, ast.Import):
            found.extend(Import(node.lineno, alias.name, (), at_import_time) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            found.append(Import(node.lineno, absolute(node, package), tuple(alias.name for alias in node.names),
                                at_import_time))
        for child in ast.iter_child_nodes(node):
            runs_now = at_import_time and not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if isinstance(node, ast.If) and _is_type_checking(node.test) and child in node.body:
                runs_now = False
            visit(child, runs_now)

    visit(tree, True)
    return tuple(found)


def parse_module(name: str, path: Path, source: str) -> Module:
    tree = ast.parse(source, filename=str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    return Module(name=name, path=path, tree=tree, imports=collect_imports(tree, package))


@lru_cache(maxsize=1)
def package_modules() -> dict[str, Module]:
    modules = {}
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        name = module_name(path)
        modules[name] = parse_module(name, path, path.read_text(encoding="utf-8"))
    return modules


def loaded_modules(statement: Import, known: dict[str, Module]) -> list[str]:
    """The package's modules an import statement loads: the one it names, and for ``from X import y`` X.y
    when y is a module (X's parent packages aside: an import of them is written as one)."""
    names = [f"{statement.target}.{name}" for name in statement.names if f"{statement.target}.{name}" in known]
    if statement.target in known:
        names.insert(0, statement.target)
    return names


def named_modules(statement: Import, known: dict[str, Module]) -> list[str]:
    """What an import statement asks for: ``from X import y`` asks for X.y when y is a module, else for X."""
    submodules = [f"{statement.target}.{name}" for name in statement.names if f"{statement.target}.{name}" in known]
    if not statement.names or len(submodules) < len(statement.names):
        submodules.insert(0, statement.target)
    return submodules


def top_package(target: str) -> str:
    return target.split(".")[0]


def layer_of(name: str) -> str | None:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in LAYERS else None


# -- the checks, each a function of one module (so that the self-test below can feed them a bad one) ----

def command_line_imports(module: Module) -> list[str]:
    if module.layer == "cli":
        return []
    return [f"{module.shown}:{statement.line}: imports {statement.target}" for statement in module.imports
            if top_package(statement.target) in COMMAND_LINE_PACKAGES]


def storage_leaks(module: Module) -> list[str]:
    if module.layer == "store":
        return []
    found = [f"{module.shown}:{statement.line}: imports {statement.target}" for statement in module.imports
             if top_package(statement.target) in DATABASE_PACKAGES]
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                node.func.attr in STATEMENT_METHODS:
            found.append(f"{module.shown}:{node.lineno}: runs SQL (.{node.func.attr})")
        elif isinstance(node, ast.Attribute) and node.attr == "conn":
            found.append(f"{module.shown}:{node.lineno}: reaches a database connection (.conn)")
    return sorted(set(found), key=lambda line: (line.split(":")[0], int(line.split(":")[1]), line))


def layer_violations(module: Module, known: dict[str, Module]) -> list[str]:
    layer = module.layer
    if module.name == ROOT:
        return [f"{module.shown}:{statement.line}: the root package imports {statement.target} (it must import "
                "nothing of the package, so that anything may import its __version__)"
                for statement in module.imports if top_package(statement.target) == ROOT]
    if layer not in ALLOWED:
        return []
    found = []
    for statement in module.imports:
        if top_package(statement.target) != ROOT:
            continue
        for target in named_modules(statement, known):
            target_layer = layer_of(target)
            if target == ROOT or target_layer in ALLOWED[layer]:
                continue
            found.append(f"{module.shown}:{statement.line}: {layer} imports {target} "
                         f"({target_layer or 'outside the layers'}); {layer} may import only "
                         f"{', '.join(sorted(ALLOWED[layer]))}")
    return found


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def private_names(module: Module, known: dict[str, Module]) -> list[str]:
    """``from .x import _y``, or ``x._y`` / ``Y._z`` where ``x``/``Y`` was imported from another module of cpe."""
    found = []
    bound: dict[str, str] = {}  # local name -> the package module it came from
    for node in ast.walk(module.tree):
        if isinstance(node, ast.ImportFrom):
            source = absolute(node, module.package)
            if top_package(source) != ROOT:
                continue
            for alias in node.names:
                origin = f"{source}.{alias.name}" if f"{source}.{alias.name}" in known else source
                if origin == module.name:
                    continue
                if _private(alias.name):
                    found.append(f"{module.shown}:{node.lineno}: imports the private name {alias.name} from {source}")
                bound[alias.asname or alias.name] = origin
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if top_package(alias.name) == ROOT and alias.asname:
                    bound[alias.asname] = alias.name
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Attribute) and _private(node.attr) and isinstance(node.value, ast.Name) and \
                node.value.id in bound:
            found.append(f"{module.shown}:{node.lineno}: reaches the private name {node.value.id}.{node.attr} "
                         f"(from {bound[node.value.id]})")
    return found


def import_cycles(modules: dict[str, Module]) -> list[str]:
    """Each cycle among the imports that run at import time, as "a.py:LINE -> b.py:LINE -> ... -> a"."""
    edges: dict[str, dict[str, int]] = {name: {} for name in modules}
    for module in modules.values():
        for statement in module.imports:
            if statement.at_import_time:
                for target in loaded_modules(statement, modules):
                    if target != module.name:
                        edges[module.name].setdefault(target, statement.line)
    # Tarjan's strongly connected components; a component of more than one module holds a cycle.
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def connect(name: str) -> None:
        index[name] = low[name] = len(index)
        stack.append(name)
        on_stack.add(name)
        for target in edges[name]:
            if target not in index:
                connect(target)
                low[name] = min(low[name], low[target])
            elif target in on_stack:
                low[name] = min(low[name], index[target])
        if low[name] == index[name]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == name:
                    break
            if len(component) > 1:
                components.append(component)

    for name in sorted(modules):
        if name not in index:
            connect(name)
    found = []
    for component in components:
        members = set(component)
        start = min(component)
        path, seen = [start], {start}
        while True:  # walk inside the component until a module repeats: that closes a cycle
            following = min(target for target in edges[path[-1]] if target in members)
            if following in seen:
                cycle = path[path.index(following):] + [following]
                break
            path.append(following)
            seen.add(following)
        steps = [f"{modules[name].shown}:{edges[name][after]}" for name, after in zip(cycle, cycle[1:])]
        found.append(" -> ".join(steps) + f" -> {cycle[-1]}")
    return found


# -- the tests ------------------------------------------------------------------------------------------

def report(problems: list[str]) -> str:
    return "\n".join(problems)


def test_the_package_is_read_whole():
    """The checks below see every module, and imports inside functions too."""
    modules = package_modules()
    for name in ("cpe_cli.core.records", "cpe_cli.store.ledger", "cpe_cli.ops.lifecycle"):
        assert name in modules
    assert {module.layer for module in modules.values()} >= set(LAYERS)
    lazy = [statement for statement in modules["cpe_cli.ops.restore"].imports if not statement.at_import_time]
    assert any(statement.target == "cpe_cli.ops.verify" for statement in lazy)


def test_only_the_command_line_imports_typer_click_or_rich():
    problems = [line for module in package_modules().values() for line in command_line_imports(module)]
    assert not problems, "only cpe_cli/cli/ may use the command-line libraries:\n" + report(problems)


def test_only_the_store_touches_the_database():
    problems = [line for module in package_modules().values() for line in storage_leaks(module)]
    assert not problems, "all SQL lives in cpe_cli/store/ (add a named function there):\n" + report(problems)


def test_each_layer_imports_only_the_layers_below():
    modules = package_modules()
    problems = [line for module in modules.values() for line in layer_violations(module, modules)]
    assert not problems, "core <- store <- ops <- cli:\n" + report(problems)


def test_no_module_uses_another_modules_private_names():
    modules = package_modules()
    problems = [line for module in modules.values() for line in private_names(module, modules)]
    assert not problems, "make the name public, or move the code that needs it:\n" + report(problems)


def test_no_import_cycles():
    problems = import_cycles(package_modules())
    assert not problems, "modules importing each other at import time:\n" + report(problems)


BAD_OPS_MODULE = '''
import sqlite3
from typing import TYPE_CHECKING
from ..cli.app import app
from ..store.ledger import _translate, Ledger

if TYPE_CHECKING:
    from ..cli import output


def run(ledger):
    import rich
    from ..store import certificates

    certificates._write_new_file("x")
    Ledger._where(None)
    return ledger.conn.execute("SELECT 1")
'''


def test_the_checks_can_fail():
    """A module breaking every rule, checked as if it were cpe_cli/ops/bad.py: each rule names it and the line."""
    known = dict(package_modules())
    for name in ("cpe_cli.cli.app", "cpe_cli.cli.output"):  # whatever the command line's modules are called now
        known[name] = parse_module(name, PACKAGE_DIR / "cli" / f"{name.rpartition('.')[2]}.py", "")
    path = PACKAGE_DIR / "ops" / "bad.py"
    bad = parse_module("cpe_cli.ops.bad", path, BAD_OPS_MODULE)
    assert command_line_imports(bad) == ["cpe_cli/ops/bad.py:12: imports rich"]
    assert storage_leaks(bad) == ["cpe_cli/ops/bad.py:2: imports sqlite3",
                                  "cpe_cli/ops/bad.py:17: reaches a database connection (.conn)",
                                  "cpe_cli/ops/bad.py:17: runs SQL (.execute)"]
    assert [line.split(" (")[0] for line in layer_violations(bad, known)] == \
        ["cpe_cli/ops/bad.py:4: ops imports cpe_cli.cli.app", "cpe_cli/ops/bad.py:8: ops imports cpe_cli.cli.output"]
    assert private_names(bad, known) == [
        "cpe_cli/ops/bad.py:5: imports the private name _translate from cpe_cli.store.ledger",
        "cpe_cli/ops/bad.py:15: reaches the private name certificates._write_new_file "
        "(from cpe_cli.store.certificates)",
        "cpe_cli/ops/bad.py:16: reaches the private name Ledger._where (from cpe_cli.store.ledger)",
    ]
    # A cycle through an import-time import is found; the TYPE_CHECKING one and the one in a function are not edges.
    looping = dict(known)
    looping["cpe_cli.ops.bad"] = bad
    looping["cpe_cli.cli.app"] = parse_module("cpe_cli.cli.app", PACKAGE_DIR / "cli" / "app.py",
                                              "from ..ops import bad\n")
    assert import_cycles(looping) == ["cpe_cli/cli/app.py:1 -> cpe_cli/ops/bad.py:4 -> cpe_cli.cli.app"]

"""The code keeps its floors (docs/architecture.md): imports only go down, and nothing imports
in a circle, lazy imports inside functions included (a lazy import hides a cycle, it does
not remove it). The check reads the source (ast), so it sees every import, run or not.

Floors, top to bottom:
  app          ``incubator`` (create_app), ``cli``, ``demo``: wiring and scripts;
  composers    pages made of several features (``project_page``);
  features     one package each: routes · forms · queries · services. A feature may use
               another's forms, queries or services, never its routes, and only its own
               routes module imports routes;
  shared       primitives every feature may use (timeline, positions, reference, outbox…);
  permissions  every access rule, over the models;
  models
  base         ``extensions``, ``config``, ``security_log``, ``text`` (pure French text
               helpers the models use for their search keys).
"""

from __future__ import annotations

import ast
import functools
import json
import subprocess
import sys
from pathlib import Path

import pytest

import incubator

PACKAGE = Path(incubator.__file__).parent

FLOORS = ("app", "composers", "features", "shared", "permissions", "models", "base")
APP = {"incubator", "incubator.cli", "incubator.demo"}
COMPOSERS = {"project_page", "data_export"}
FEATURES = {"account", "admin", "auth", "board", "checklists", "cohorts", "committees",
            "documents", "groups", "imports", "lists", "main", "members", "mentoring", "mentors",
            "next_steps", "notes", "notifications", "partners", "projects", "referrals", "supports",
            "accompaniment", "report", "territory", "exports_page", "pipeline",
            "privacy", "erasures"}
SHARED = {"jobs", "worker", "analytics", "assets", "backup", "stage_history", "stage_flow", "database", "dom", "errors", "forms", "htmx", "i18n",
          "labels", "mail", "migrate_lazy", "pole",
          "confirm", "numbers", "once", "outbox", "params", "passwords", "positions", "reference",
          "revisions", "security",
          "tables", "textfiles", "charts", "exports", "timeline", "tokens", "urls", "versions"}
BASE = {"config", "extensions", "security_log", "text"}


def floor(module: str) -> str:
    """The floor of ``module`` (a dotted name under ``incubator``)."""
    if module in APP:
        return "app"
    top = module.split(".")[1]
    if top in COMPOSERS:
        return "composers"
    if top in FEATURES:
        return "features"
    if top in SHARED:
        return "shared"
    if top == "permissions":
        return "permissions"
    if top == "models":
        return "models"
    if top in BASE:
        return "base"
    raise LookupError(f"{module} is on no floor: add it to one in {__name__}")


def modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def imports_of(module: str, source: str, known: set[str], is_package: bool = False) -> set[str]:
    """The ``incubator`` modules ``source`` imports, anywhere in it (functions included).
    ``from a import b`` counts as importing ``a.b`` when that is a module, else ``a``."""
    package = module if is_package else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parts = parts[:len(parts) - node.level + 1]
                base = ".".join(parts + ([node.module] if node.module else []))
            names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base
                     for alias in node.names]
        else:
            continue
        for name in names:
            while name not in known and "." in name:
                name = name.rpartition(".")[0]
            if name in known and name != module:
                found.add(name)
    return found


@functools.cache  # read-only: each test that needs it reads the sources once per process
def import_graph() -> dict[str, set[str]]:
    found = modules()
    known = set(found)
    return {name: imports_of(name, path.read_text(encoding="utf-8"), known,
                             path.name == "__init__.py")
            for name, path in found.items()}


def _feature(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in FEATURES else None


def _is_routes(module: str) -> bool:
    return module.split(".")[-1] == "routes"


def wrong_imports(graph: dict[str, set[str]]) -> list[str]:
    """``a -> b: why`` for each import that breaks a floor rule."""
    wrong = []
    for module, targets in sorted(graph.items()):
        for target in sorted(targets):
            if FLOORS.index(floor(target)) < FLOORS.index(floor(module)):
                wrong.append(f"{module} -> {target}: {floor(module)} import {floor(target)}")
            elif _feature(module) and _feature(target) and _is_routes(target):
                if _feature(module) != _feature(target):
                    wrong.append(f"{module} -> {target}: another feature's routes")
                elif not _is_routes(module):
                    wrong.append(f"{module} -> {target}: only routes import routes")
    return wrong


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every group of modules that import each other in a circle (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def test_every_module_is_on_a_floor():
    for module in modules():
        floor(module)


def test_imports_only_go_down():
    assert wrong_imports(import_graph()) == []


def test_no_module_imports_in_a_circle():
    assert cycles(import_graph()) == []


# The checks themselves: each catches what it is for.

KNOWN = {"incubator.notes.queries", "incubator.notes.routes", "incubator.notes",
         "incubator.projects.queries", "incubator.project_page.queries", "incubator.timeline",
         "incubator.permissions", "incubator.models", "incubator.board.routes"}


@pytest.mark.parametrize("module, source, expected", [
    ("incubator.notes.queries", "def f():\n    from ..project_page import queries",
     "incubator.project_page.queries"),
    ("incubator.notes.queries", "from ..timeline import TimelineEntry", "incubator.timeline"),
    ("incubator.notes.queries", "import incubator.permissions", "incubator.permissions"),
    ("incubator.notes.routes", "from . import bp, queries", "incubator.notes.queries"),
    ("incubator.notes.routes", "from . import bp", "incubator.notes"),
])
def test_the_reader_sees_lazy_relative_and_absolute_imports(module, source, expected):
    assert expected in imports_of(module, source, KNOWN)


@pytest.mark.parametrize("graph, why", [
    ({"incubator.permissions": {"incubator.notes.queries"}}, "permissions import features"),
    ({"incubator.timeline": {"incubator.projects.queries"}}, "shared import features"),
    ({"incubator.notes.queries": {"incubator.project_page.queries"}},
     "features import composers"),
    ({"incubator.notes.routes": {"incubator.board.routes"}}, "another feature's routes"),
    ({"incubator.notes.queries": {"incubator.notes.routes"}}, "only routes import routes"),
])
def test_an_upward_import_is_refused(graph, why):
    [problem] = wrong_imports(graph)
    assert problem.endswith(why)


def test_a_circle_is_found_even_through_several_modules():
    graph = {"incubator.a": {"incubator.b"}, "incubator.b": {"incubator.c"},
             "incubator.c": {"incubator.a"}, "incubator.d": {"incubator.a"}}
    assert cycles(graph) == [["incubator.a", "incubator.b", "incubator.c"]]


# What importing one feature's reads costs: its own floor and those below, no routes.

FEATURE_READS = sorted(
    name for name in modules() if _feature(name) and name.rpartition(".")[2] == "queries")

# One interpreter for all of them: it loads the libraries every module uses (no ``incubator``
# module among them), then forks a child per module, which starts with nothing of
# ``incubator`` loaded, imports the module and reports what that loaded. A fresh
# interpreter per module paid ~0.5 s each to start and import Flask and SQLAlchemy again.
_LOADED_BY_EACH = """
import json, os, sys
for library in ("flask", "flask_babel", "flask_login", "flask_limiter", "flask_migrate",
                "flask_sqlalchemy", "flask_wtf", "sqlalchemy", "sqlalchemy.orm", "wtforms",
                "markupsafe", "argon2"):
    try:
        __import__(library)
    except ImportError:
        pass
assert not [m for m in sys.modules if m.startswith("incubator")]
found = {}
for module in sys.argv[1:]:
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        __import__(module)
        loaded = sorted(m for m in sys.modules if m.startswith("incubator"))
        with os.fdopen(write, "w") as out:
            out.write(json.dumps(loaded))
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as answer:
        text = answer.read()
    _, status = os.waitpid(pid, 0)
    assert status == 0 and text, (module, status)
    found[module] = json.loads(text)
print(json.dumps(found))
"""


@functools.cache
def _loaded_by_each() -> dict[str, list[str]]:
    result = subprocess.run(
        [sys.executable, "-c", _LOADED_BY_EACH, "incubator.notes.queries", *FEATURE_READS],
        capture_output=True, text=True, check=True, cwd=PACKAGE.parent)
    return json.loads(result.stdout)


def _loaded_by(module: str) -> list[str]:
    """The ``incubator`` modules that importing ``module`` alone loads."""
    return _loaded_by_each()[module]


def test_importing_the_notes_queries_loads_a_few_modules_and_no_routes():
    loaded = _loaded_by("incubator.notes.queries")
    assert [m for m in loaded if _is_routes(m)] == []
    # 44 before issue 8 (5 of them routes), 14 after; +2 in issue 9 (models.keys and text:
    # the models keep search keys); +1 in issue 10 (models.network: the directory's models);
    # +3 in issue 11 (models.committees, groups, partners); +1 in issue 12 (models.review);
    # +1 in issue 13 (models.pole: the pole's settings), +1 in issue 13 (models.checklists:
    # the stages' exit checklists), +1 in issue 13 (models.reference: note kinds are a table),
    # +1 in issue 13 (models.cohorts), +3 in issue 14 (models.two_factor, models.erasures,
    # models.retention: the retention settings, a history kept append-only), +1 in issue 15
    # (models.revisions: the board's revision row)
    assert len(loaded) <= 30, loaded


@pytest.mark.parametrize("module", FEATURE_READS)
def test_no_feature_reads_load_routes(module):
    loaded = _loaded_by(module)
    assert [m for m in loaded if m != "incubator"  # a package always loads its parent
            and (_is_routes(m) or floor(m) in ("app", "composers"))] == []

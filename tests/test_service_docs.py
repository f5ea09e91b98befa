"""Every service says in its docstring what it raises (issue 8): a route reading a service
learns from it which errors to answer, without reading the code."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "incubator"
SERVICES = sorted(PACKAGE.glob("**/services.py"))


def _raised(node: ast.AST) -> set[str]:
    """The exception classes ``raise`` statements in ``node`` name (bare re-raises aside)."""
    names = set()
    for raise_ in (n for n in ast.walk(node) if isinstance(n, ast.Raise) and n.exc):
        exc = raise_.exc.func if isinstance(raise_.exc, ast.Call) else raise_.exc
        if isinstance(exc, ast.Name):
            names.add(exc.id)
    return names


def _called(node: ast.AST) -> set[str]:
    return {n.func.id for n in ast.walk(node)
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}


def _undocumented(source: str) -> list[str]:
    """``function: Error`` for each error a function of the module raises, itself or through
    another function of the same module, that its docstring does not name."""
    functions = {node.name: node for node in ast.parse(source).body
                 if isinstance(node, ast.FunctionDef)}
    raises = {name: _raised(node) for name, node in functions.items()}
    changed = True
    while changed:  # what a function raises includes what the module's functions it calls raise
        changed = False
        for name, node in functions.items():
            more = set().union(*(raises[c] for c in _called(node) if c in raises and c != name))
            if not more <= raises[name]:
                raises[name] |= more
                changed = True
    return [f"{name}: {error}" for name, node in functions.items()
            for error in sorted(raises[name])
            if error not in (ast.get_docstring(node) or "")]


@pytest.mark.parametrize("path", SERVICES, ids=lambda path: path.parent.name)
def test_services_say_what_they_raise(path):
    assert _undocumented(path.read_text()) == []


def test_the_check_finds_an_undocumented_error():
    source = '''
def helper():
    """Nothing said."""
    raise Conflict()

def service():
    """Does things; raises Stale."""
    if True:
        raise Stale
    helper()
'''
    assert _undocumented(source) == ["helper: Conflict", "service: Conflict"]
    assert len(SERVICES) >= 7

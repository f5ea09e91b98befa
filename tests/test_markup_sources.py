"""No code path can turn data into trusted markup.

Jinja and WTForms trust anything with ``__html__``: ``Markup``, ``|safe`` and Flask-Babel's lazy
strings (``_l``). A lazy string with a user's name formatted into it reaches the page raw. So
these tests read the source and fail on the patterns that could do it:

- ``_l``/``lazy_gettext`` with keyword arguments, a non-literal message, ``%`` formatting, or
  called inside a function (lazy strings are for constant texts at module or class level;
  at request time ``gettext`` returns plain text, which Jinja escapes);
- Flask-Babel's ``LazyString`` built by hand, and any class of ours defining ``__html__``;
- ``Markup(...)`` of anything but a literal, and ``Markup.format``/``Markup % …``;
- templates rendered from strings or not named ``*.html`` (Flask escapes only those);
- ``|safe`` and ``autoescape false`` in templates, and ``_(…)``/``gettext(…)`` of anything but
  a literal there (Jinja's gettext marks its result safe: the message must be a constant).

An exception needs an entry in ALLOWED with the reason it cannot carry data.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "incubator"
TEMPLATES = ROOT / "templates"

LAZY_FUNCTIONS = {"lazy_gettext", "lazy_ngettext", "lazy_pgettext", "lazy_npgettext"}
MARKUP_NAMES = {"Markup"}

# (relative path, function or template line fragment) -> why it is safe. Keep it empty if you can.
ALLOWED: dict[tuple[str, str], str] = {}


def _aliases(tree: ast.Module) -> tuple[set[str], set[str], set[str]]:
    """Local names of the lazy gettext functions, of Markup, and of LazyString."""
    lazy, markup, lazy_string = set(LAZY_FUNCTIONS), set(MARKUP_NAMES), {"LazyString"}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            for alias in node.names:
                local = alias.asname or alias.name
                if alias.name in LAZY_FUNCTIONS:
                    lazy.add(local)
                elif alias.name == "Markup":
                    markup.add(local)
                elif alias.name == "LazyString":
                    lazy_string.add(local)
    return lazy, markup, lazy_string


def _called_name(call: ast.Call) -> str | None:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _is_literal(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


class _Finder(ast.NodeVisitor):
    def __init__(self, path: str, tree: ast.Module):
        self.path = path
        self.lazy, self.markup, self.lazy_string = _aliases(tree)
        self.scope: list[str] = []  # enclosing functions
        self.problems: list[str] = []

    def _report(self, node: ast.AST, message: str) -> None:
        where = self.scope[-1] if self.scope else "<module>"
        if (self.path, where) in ALLOWED:
            return
        self.problems.append(f"{self.path}:{node.lineno} in {where}: {message}")

    def _function(self, node) -> None:
        self.scope.append(getattr(node, "name", "<lambda>"))
        self.generic_visit(node)
        self.scope.pop()

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = _function

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for item in node.body:
            if isinstance(item, ast.FunctionDef) and item.name == "__html__":
                self._report(item, f"class {node.name} declares itself safe markup (__html__)")
        # A class body runs once at import, like module level: not a function scope.
        self.generic_visit(node)

    def visit_BinOp(self, node: ast.BinOp) -> None:
        if isinstance(node.op, ast.Mod) and isinstance(node.left, ast.Call):
            name = _called_name(node.left)
            if name in self.lazy:
                self._report(node, f"{name}(...) % ...: formats data into a lazy string")
            if name in self.markup:
                self._report(node, "Markup(...) % ...: formats data into trusted markup")
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        name = _called_name(node)
        if name in self.lazy:
            if node.keywords:
                self._report(node, f"{name}(...) with keyword arguments: the values would "
                                   "become trusted markup; use gettext at request time")
            if not node.args or not all(_is_literal(arg) for arg in node.args[:1]):
                self._report(node, f"{name}(...) of a non-literal message")
            if self.scope:
                self._report(node, f"{name}(...) inside a function: use gettext there "
                                   "(lazy strings are for constant module or class texts)")
        elif name in self.markup:
            if any(not _is_literal(arg) for arg in node.args) or node.keywords:
                self._report(node, "Markup(...) of something other than a literal")
        elif name in self.lazy_string:
            self._report(node, "LazyString(...) is trusted markup (it has __html__)")
        elif name in ("render_template_string", "from_string", "Template"):
            self._report(node, f"{name}(...): Flask escapes only templates named *.html")
        elif (name == "format" and isinstance(node.func, ast.Attribute)
              and isinstance(node.func.value, ast.Call)
              and _called_name(node.func.value) in self.markup):
            self._report(node, "Markup(...).format(...) with data")
        self.generic_visit(node)


def markup_problems_in_python(root: Path = PACKAGE) -> list[str]:
    problems = []
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root.parent).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=relative)
        finder = _Finder(relative, tree)
        finder.visit(tree)
        problems += finder.problems
    return problems


SAFE_FILTER = re.compile(r"\|\s*safe\b")
AUTOESCAPE_OFF = re.compile(r"{%-?\s*autoescape\s+false", re.IGNORECASE)
# Jinja's (newstyle) gettext returns Markup(translation) % escaped values: fine for a literal
# message, but _(some_variable) would trust whatever text the variable holds.
GETTEXT_OF_DATA = re.compile(r"(?<![\w.])(?:_|gettext|ngettext|pgettext|npgettext)\(\s*(?![\s\"'])")


def markup_problems_in_templates(root: Path = TEMPLATES) -> list[str]:
    problems = [f"{path.relative_to(root.parent).as_posix()}: Flask escapes only *.html templates"
                for path in sorted(root.rglob("*")) if path.is_file() and path.suffix != ".html"]
    for path in sorted(root.rglob("*.html")):
        relative = path.relative_to(root.parent).as_posix()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not any(p.search(line) for p in (SAFE_FILTER, AUTOESCAPE_OFF, GETTEXT_OF_DATA)):
                continue
            if any(p == relative and fragment in line for (p, fragment) in ALLOWED):
                continue
            problems.append(f"{relative}:{number}: {line.strip()}")
    return problems


def test_no_python_code_makes_data_into_trusted_markup():
    assert markup_problems_in_python() == []


def test_no_template_marks_a_value_safe_or_turns_escaping_off():
    assert markup_problems_in_templates() == []


def test_the_checks_catch_each_pattern(tmp_path):
    """The detector itself: each way of trusting data is reported, constants are not."""
    package = tmp_path / "incubator"
    package.mkdir()
    (package / "bad.py").write_text(
        "from flask_babel import lazy_gettext as _l\n"
        "from flask_babel.speaklater import LazyString\n"
        "from markupsafe import Markup\n"
        "OK = _l('Constant')\n"
        "KW = _l('%(name)s (holder)', name='x')\n"
        "PCT = _l('%s (holder)') % 'x'\n"
        "class Form:\n"
        "    label = _l('Fine in a class body')\n"
        "    def __html__(self):\n"
        "        return ''\n"
        "def choices(person):\n"
        "    return [_l('Inside a function')]\n"
        "def trusted(name):\n"
        "    return Markup(name), Markup('<b>{}</b>').format(name), LazyString(str)\n"
        "CONSTANT = Markup('<br>')\n"
        "def page(text):\n"
        "    return render_template_string(text)\n"
    )
    found = markup_problems_in_python(package)
    lines = sorted(int(problem.split(":")[1].split(" ")[0]) for problem in found)
    assert lines == [5, 6, 9, 12, 14, 14, 14, 17], found

    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "page.html").write_text(
        "{{ name }}\n{{ name|safe }}\n{{ name | safe }}\n{% autoescape false %}{% endautoescape %}\n"
        "{{ _(message) }}\n{{ _('Fine: %(n)s', n=name) }} {{ csrf_token() }}\n"
        "{{ ngettext(one, many, n) }}\n{{ ngettext('%(num)d day', '%(num)d days', n) }}\n"
    )
    (templates / "mail.txt").write_text("{{ name }}")
    found = markup_problems_in_templates(templates)
    assert found[0] == "templates/mail.txt: Flask escapes only *.html templates"
    assert [problem.split(":")[1] for problem in found[1:]] == ["2", "3", "4", "5", "7"], found


def test_lazy_text_is_escaped_and_follows_the_reader_s_language(app):
    from flask import render_template_string
    from flask_babel import force_locale
    from flask_babel import gettext as _
    from markupsafe import escape

    from incubator.forms import LazyText

    text = LazyText(lambda: _("Changes saved.") + " <b hx-get='/x'>")
    assert not hasattr(text, "__html__")
    with app.test_request_context():
        with force_locale("fr"):
            assert str(escape(text)).startswith("Modifications enregistrées")
            assert "&lt;b hx-get=&#39;/x&#39;&gt;" in render_template_string("{{ t }}", t=text)
        with force_locale("en"):
            assert str(text) == "Changes saved. <b hx-get='/x'>"


def test_the_next_step_assignee_list_escapes_names(app):
    """The issue's example, at the form level: a holder's name is text in the option."""
    from types import SimpleNamespace

    from flask_babel import force_locale
    from wtforms.widgets import Select

    from incubator.next_steps.forms import NextStepForm

    from . import factories

    name = """E<b hx-post="/admin/users/invite" hx-trigger="load">"""
    holder = factories.user("holder", name=name)
    advisor = factories.user("advisor", name=name + "2")
    project = SimpleNamespace(advisor_id=advisor.id, holders=[holder])
    with app.test_request_context(), force_locale("en"):
        form = NextStepForm.for_project(project, advisor, [advisor, holder], formdata=None)
        html = Select()(form.assignee_id)
    assert "<b" not in html
    assert "E&lt;b hx-post=&#34;/admin/users/invite&#34; hx-trigger=&#34;load&#34;&gt; (holder)" in html

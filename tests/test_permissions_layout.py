"""Every access rule lives in ``incubator/permissions.py``, which stays a leaf, and templates
ask its named rules (``can.…``) instead of testing roles themselves (issue 8)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from flask import url_for

from incubator.permissions import TEMPLATE_RULES, CurrentUserRules

ROOT = Path(__file__).resolve().parent.parent
PERMISSIONS = ROOT / "incubator" / "permissions.py"
TEMPLATES = ROOT / "templates"
ALLOWED = {"incubator.models", "incubator.extensions"}


def _incubator_imports(source: str) -> set[str]:
    """The ``incubator`` modules a module of the ``incubator`` package imports, anywhere in
    it (also inside functions), as absolute names."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            if node.level:  # relative to incubator/ (permissions.py sits at its top)
                base = ".".join(["incubator"] + ([node.module] if node.module else []))
                if node.level > 1:
                    base = "<outside incubator>"
                if node.module is None:  # from . import x
                    found.update(f"incubator.{alias.name}" for alias in node.names)
                    continue
                found.add(base)
            elif node.module and node.module.split(".")[0] == "incubator":
                found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "incubator")
    return found


def _is_allowed(module: str) -> bool:
    return any(module == name or module.startswith(name + ".") for name in ALLOWED)


def test_permissions_imports_only_models_and_extensions():
    imports = _incubator_imports(PERMISSIONS.read_text(encoding="utf-8"))
    assert "incubator.models" in imports
    assert sorted(m for m in imports if not _is_allowed(m)) == []


@pytest.mark.parametrize("source, bad", [
    ("from .projects.queries import visible_project", "incubator.projects.queries"),
    ("def f():\n    from .projects import queries", "incubator.projects"),
    ("from . import urls", "incubator.urls"),
    ("import incubator.board.queries", "incubator.board.queries"),
    ("from incubator.documents.services import can_upload", "incubator.documents.services"),
])
def test_the_import_check_sees_lazy_and_absolute_imports(source, bad):
    assert bad in _incubator_imports(source)
    assert not _is_allowed(bad)


# Python code outside permissions.py testing a role. The models define the roles, and the
# administration's subject is roles themselves (invitations, role changes, last manager).
PY_ROLE_TEST = re.compile(
    r"\.is_(?:staff|manager|holder|mentor|advisor)\b"
    r"|\.role\s*(?:==|!=|\bin\b|\bnot\s+in\b|\.in_\()"
    r"|\bSTAFF_ROLES\b"
)
PY_ALLOWED = ("incubator/permissions.py", "incubator/models/", "incubator/admin/")


def test_code_asks_permissions_instead_of_testing_roles():
    offenders = {}
    for path in sorted((ROOT / "incubator").rglob("*.py")):
        name = path.relative_to(ROOT).as_posix()
        if name.startswith(PY_ALLOWED):
            continue
        lines = [f"{number}: {line.strip()}"
                 for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                 if PY_ROLE_TEST.search(line)]
        if lines:
            offenders[name] = lines
    assert offenders == {}, "write the rule in permissions.py and ask it by name"


@pytest.mark.parametrize("line", [
    "if current_user.is_staff:",
    "if user.role == Role.MANAGER:",
    "select(User).where(User.role.in_([Role.ADVISOR.value]))",
    "select(User).where(User.role.in_([r.value for r in STAFF_ROLES]))",
    "if not user.is_holder:",
])
def test_the_code_check_sees_role_tests(line):
    assert PY_ROLE_TEST.search(line)


# A template testing a role: ``current_user.is_staff``, ``user.role == 'mentor'``,
# ``Role.MANAGER``, ``role in ('holder', …)``. Showing a user's role as data
# (``code == user.role`` in the admin's role menu) is not a test of the reader's role.
ROLE_TEST = re.compile(
    r"\.is_(?:staff|manager|holder|mentor|advisor)\b"
    r"|\bcurrent_user\.role"
    r"|\bRole\b\s*\."
    r"|\.role_enum\b"
    r"|\.role\s*(?:==|!=|\bin\b|\bnot\s+in\b)"
    r"|(['\"])(?:holder|advisor|manager|mentor)\1\s*(?:==|!=|\bin\b|\bnot\s+in\b)"
)
JINJA_CODE = re.compile(r"\{%.*?%\}|\{\{.*?\}\}", re.DOTALL)


def _role_tests(text: str) -> list[str]:
    return [match.group(0) for code in JINJA_CODE.findall(text) if ROLE_TEST.search(code)
            for match in [ROLE_TEST.search(code)]]


def test_templates_never_test_roles_themselves():
    offenders = {
        str(path.relative_to(ROOT)): found
        for path in sorted(TEMPLATES.rglob("*.html"))
        if (found := _role_tests(path.read_text(encoding="utf-8")))
    }
    assert offenders == {}, "ask a rule of permissions.py through `can.…` instead"


@pytest.mark.parametrize("snippet", [
    "{% if current_user.is_staff %}",
    "{% if current_user.is_manager %}x{% endif %}",
    "{% if current_user.role in ('holder', 'advisor', 'manager') %}",
    "{% if current_user.role == 'mentor' %}",
    '{% if user.role == "manager" %}',
    "{% if current_user.role == Role.MENTOR %}",
    "{{ 'yes' if current_user.is_holder }}",
    "{% if user.role != 'holder' %}",
    "{% if 'mentor' == user.role %}",
    "{% if user.role not in ('holder',) %}",
])
def test_the_template_check_sees_role_tests(snippet):
    assert _role_tests(snippet)


def test_the_template_check_leaves_roles_shown_as_data_alone():
    assert not _role_tests('<option {% if code == user.role %}selected{% endif %}>')
    assert not _role_tests('<a role="button">{{ _("Role") }}</a>')
    assert not _role_tests("<div id=\"{{ dom_id(project, 'advisor') }}\">")


def test_templates_get_the_rules_not_the_roles(app):
    with app.test_request_context():
        context = {}
        app.update_template_context(context)
    assert "Role" not in context
    assert isinstance(context["can"], CurrentUserRules)
    with app.test_request_context():  # nobody logged in: every rule says no
        assert all(getattr(context["can"], name)() is False
                   for name in TEMPLATE_RULES if name not in ("manage_people", "move",
                                                              "upload_document"))
        with pytest.raises(AttributeError):
            context["can"].is_staff  # noqa: B018 — only the named rules


@pytest.mark.parametrize("role, links", [
    ("holder", {"projects.mine", "next_steps.mine", "projects.new"}),
    ("mentor", {"mentors.mine", "next_steps.mine"}),
    ("advisor", {"board.index", "next_steps.mine", "projects.new"}),
    ("manager", {"board.index", "admin.users", "next_steps.mine", "projects.new"}),
])
def test_the_header_shows_each_role_its_links(app, client, login, role, links):
    endpoints = ["projects.mine", "next_steps.mine", "projects.new", "board.index",
                 "admin.users", "mentors.mine"]
    with app.test_request_context():
        url_of = {url_for(endpoint): endpoint for endpoint in endpoints}
    login(role)
    response = client.get(url_for_app(app, "notifications.index"))
    assert response.status_code == 200
    nav = response.get_data(as_text=True).split('class="nav-links"', 1)[1].split("</ul>", 1)[0]
    shown = {url_of[href] for href in re.findall(r'href="([^"]+)"', nav) if href in url_of}
    assert shown == links


def url_for_app(app, endpoint: str) -> str:
    with app.test_request_context():
        return url_for(endpoint)


@pytest.mark.parametrize("role, submit_link, mentor_text", [
    ("holder", True, False),
    ("advisor", True, False),
    ("mentor", False, True),
])
def test_my_projects_offers_an_idea_to_those_who_may_submit_one(app, client, login, role,
                                                                 submit_link, mentor_text):
    login(role)
    page = client.get(url_for_app(app, "projects.mine")).get_data(as_text=True)
    assert (f'href="{url_for_app(app, "projects.new")}"' in page) is submit_link
    assert ("You do not mentor any project yet." in page) is mentor_text

"""What every request pays outside its own work stays small and fixed (docs/performance.md,
"Per-request costs"): the statements of a cheap authenticated page, the user loaded in one
statement, static versions computed once per process, translations in templates looked up
once per request with the same text as Jinja's own callables give."""

from __future__ import annotations

import pytest
from flask import render_template_string
from flask_babel import force_locale, get_translations, refresh
from jinja2.ext import (
    _make_new_gettext,
    _make_new_ngettext,
    _make_new_npgettext,
    _make_new_pgettext,
)

import incubator.assets

from .helpers import count_statements


def _tables(statements: list[str]) -> list[str]:
    """Each statement as its verb and first table: ``SELECT user_sessions``."""
    described = []
    for statement in statements:
        words = statement.split()
        table = words[words.index("FROM") + 1] if "FROM" in words else words[1]
        described.append(f"{words[0]} {table}")
    return described


def test_a_cheap_authenticated_page_costs_four_statements(client, login):
    """The session row with its user, the page's own list, the pole's identity, the bell.
    An exact count: a statement more per request is a regression to explain."""
    login("advisor")
    client.get("/account/sessions")  # the same page once before: nothing lazy left
    with count_statements() as statements:
        assert client.get("/account/sessions").status_code == 200
    assert _tables(statements) == ["SELECT user_sessions", "SELECT user_sessions",
                                   "SELECT pole_settings", "SELECT notifications"]
    assert "JOIN users" in statements[0]  # the user comes with the session row


def test_the_bell_poll_costs_two_statements_and_a_probe_none(client, login):
    login("advisor")
    with count_statements() as statements:
        assert client.get("/notifications/bell?shown=0", htmx=True).status_code == 204
    assert _tables(statements) == ["SELECT user_sessions", "SELECT notifications"]
    with count_statements() as statements:
        assert client.get("/healthz").status_code == 200
    assert statements == []


@pytest.fixture
def looked_at(monkeypatch) -> list[str]:
    """The static files whose version is computed (``assets.static_version``), in order."""
    names: list[str] = []
    computed = incubator.assets.static_version

    def counting(folder, filename):
        names.append(filename)
        return computed(folder, filename)

    monkeypatch.setattr(incubator.assets, "static_version", counting)
    return names


def test_static_versions_are_computed_once_per_process_outside_debug(client, looked_at):
    first = client.get("/auth/login").get_data(as_text=True)
    assert "css/app.css" in looked_at
    looked_at.clear()
    again = client.get("/auth/login").get_data(as_text=True)
    assert looked_at == []  # no file looked at again
    assert "/static/css/app.css?v=" in again
    assert first.count("?v=") == again.count("?v=")


def test_in_debug_mode_static_files_are_looked_at_each_time(app, client, looked_at):
    app.debug = True
    try:
        client.get("/auth/login")
        looked_at.clear()
        client.get("/auth/login")
    finally:
        app.debug = False
    assert "css/app.css" in looked_at  # an edited file would get its new version at once


TEMPLATE = (
    "{{ _('Log out') }}|{{ _('Log out') }}|{{ _('%(name)s left', name=who) }}|"
    "{{ _('100%%') }}|{{ _('Value: %(string)s', string=who) }}|"
    "{{ ngettext('%(num)d project', '%(num)d projects', 3) }}|"
    "{{ pgettext(\"the managers' review\", 'Review') }}|"
    "{{ npgettext('x', '%(num)d file', '%(num)d files', 1) }}|"
    "{% trans %}Log in{% endtrans %}|{% trans n=2 %}{{ n }} item{% pluralize %}{{ n }} items"
    "{% endtrans %}"
)


def _as_jinja_would(app, monkeypatch) -> None:
    """Jinja's own newstyle callables over Flask-Babel's translations (what Flask-Babel
    installs), in place of incubator.i18n's."""
    monkeypatch.setitem(app.jinja_env.globals, "gettext", _make_new_gettext(
        lambda s: get_translations().ugettext(s)))
    monkeypatch.setitem(app.jinja_env.globals, "ngettext", _make_new_ngettext(
        lambda s, p, n: get_translations().ungettext(s, p, n)))
    monkeypatch.setitem(app.jinja_env.globals, "pgettext", _make_new_pgettext(
        lambda c, s: get_translations().upgettext(c, s)))
    monkeypatch.setitem(app.jinja_env.globals, "npgettext", _make_new_npgettext(
        lambda c, s, p, n: get_translations().unpgettext(c, s, p, n)))


def _render_all(app, who: str) -> list[str]:
    rendered = []
    for language in ("fr", "en"):
        # An app context of its own, as each real request has (the test's is shared).
        with app.app_context(), app.test_request_context(
                "/", headers={"Accept-Language": language}):
            rendered.append(render_template_string(TEMPLATE, who=who))
            rendered.append(render_template_string(TEMPLATE, who=who))  # from the memo
            with force_locale("en" if language == "fr" else "fr"):
                rendered.append(render_template_string(TEMPLATE, who=who))
            rendered.append(render_template_string(TEMPLATE, who=who))  # back again
            refresh()
            rendered.append(render_template_string(TEMPLATE, who=who))
    return rendered


def test_templates_translate_as_jinjas_own_callables_would(app, monkeypatch):
    ours = _render_all(app, "<b>Anne</b>")
    assert "Se déconnecter" in ours[0] and "Log out" in ours[2]
    assert "&lt;b&gt;Anne&lt;/b&gt;" in ours[0]  # variables escaped, as before
    _as_jinja_would(app, monkeypatch)
    assert ours == _render_all(app, "<b>Anne</b>")

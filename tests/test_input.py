"""Bad input gets a clear answer, never a 500 (issue 7, point 5).

Every kind is checked across the whole product: every URL rule with an id, every GET route
with each query parameter the code reads, every POST route with each whole-number field of
the forms, every form's single-line fields; then e-mail headers, uniqueness races (simulated,
and for real with parallel requests on PostgreSQL) and zip bombs.
"""

from __future__ import annotations

import ast
import hashlib
import importlib
import io
import os
import pkgutil
import re
import struct
import threading
import zipfile
from datetime import date
from pathlib import Path

import pytest
from flask_wtf import FlaskForm
from sqlalchemy import func, insert, select
from werkzeug.datastructures import ImmutableMultiDict, MultiDict
from werkzeug.routing import IntegerConverter
from wtforms import (
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)

import incubator
from incubator.documents import filetypes
from incubator.extensions import db
from incubator.forms import Form, NullableSelectField, _checks
from incubator.mail import build_message
from incubator.models import (
    Document,
    NextStep,
    Note,
    OutgoingMail,
    Project,
    ProjectHolder,
    User,
)
from incubator.params import MAX_ID, IdConverter, parse_int

from . import factories
from .conftest import is_postgres, make_app, reset_database

HUGE = "99999999999999999999999"
BAD_NUMBERS = (HUGE, str(MAX_ID + 1), "-5", "abc", "1" * 5000)


def _import_everything() -> None:
    for module in pkgutil.walk_packages(incubator.__path__, "incubator."):
        importlib.import_module(module.name)


def _all_subclasses(cls) -> set[type]:
    found = set()
    for sub in cls.__subclasses__():
        found.add(sub)
        found |= _all_subclasses(sub)
    return found


def _app_forms() -> list[type]:
    _import_everything()
    return sorted((c for c in _all_subclasses(FlaskForm) if c.__module__.startswith("incubator")),
                  key=lambda c: f"{c.__module__}.{c.__name__}")


@pytest.fixture
def world(app, login):
    """A manager logged in, and one of everything an id in a URL can name."""
    manager = login("manager")
    holder = factories.user("holder")
    project = factories.project(holders=[holder], advisor=manager)
    note = Note(project_id=project.id, author_id=manager.id, kind="meeting",
                happened_on=date(2025, 3, 14), body="Rendez-vous.", visibility="internal")
    step = NextStep(project_id=project.id, title="Appeler", due_on=date(2025, 4, 1),
                    assignee_id=manager.id, created_by_id=manager.id)
    content = b"%PDF-1.4 test"
    document = Document(project_id=project.id, uploaded_by_id=manager.id, filename="a.pdf",
                        content_type="application/pdf", size=len(content),
                        sha256=hashlib.sha256(content).hexdigest(), visibility="shared",
                        content=content)
    db.session.add_all([note, step, document])
    db.session.commit()
    return {
        "manager": manager, "holder": holder, "project": project,
        "ids": {"project_id": project.id, "stage_id": project.stage_id,
                "user_id": holder.id, "note_id": note.id, "step_id": step.id,
                "document_id": document.id},
    }


def _int_args(rule) -> list[str]:
    return [name for name, converter in rule._converters.items()
            if isinstance(converter, IntegerConverter)]


def _url(rule, values: dict) -> str:
    """The rule's path with its arguments filled in (those not in ``values`` left as is)."""
    return re.sub(r"<(?:[^:<>]+:)?(\w+)>",
                  lambda m: str(values[m.group(1)]) if m.group(1) in values else m.group(0),
                  rule.rule)


def _rules(app, method: str):
    return [rule for rule in app.url_map.iter_rules()
            if method in rule.methods and rule.endpoint != "static"]


# 1. Ids in URLs -------------------------------------------------------------------------

def test_every_integer_argument_of_every_rule_is_a_bounded_database_id(app):
    rules = [rule for rule in app.url_map.iter_rules() if _int_args(rule)]
    assert len(rules) > 20
    for rule in rules:
        for name in _int_args(rule):
            converter = rule._converters[name]
            assert isinstance(converter, IdConverter), rule.rule
            assert converter.max == MAX_ID, rule.rule


@pytest.mark.parametrize("value", [HUGE, str(MAX_ID + 1), "0"])
def test_an_id_out_of_range_is_a_404_on_every_rule_and_method(client, world, value):
    app = client.application
    checked = 0
    for rule in app.url_map.iter_rules():
        names = _int_args(rule)
        for name in names:
            # One argument out of range, the others real (so only that one can fail).
            values = dict(world["ids"])
            values[name] = value
            url = _url(rule, values)
            for method in ("GET", "POST"):
                if method not in rule.methods:
                    continue
                for htmx in (False, True):
                    response = client.open(url, method=method, htmx=htmx)
                    # 405 when a rule for another method has the same shape: Werkzeug
                    # checks the method before the converters.
                    assert response.status_code in (404, 405), (method, url)
                    if method == "GET":
                        assert response.status_code == 404, url
                    checked += 1
    assert checked > 50


def test_the_largest_id_is_an_ordinary_404(client, world):
    assert client.get(f"/projects/{MAX_ID}").status_code == 404
    assert client.get(f"/projects/{MAX_ID}/notes").status_code == 404


# 2. Numbers in query strings and forms ---------------------------------------------------

class _ReadKeys(ImmutableMultiDict):
    """The query string's or the form's values, noting each name the code asks for (read or
    tested), whether or not the request holds it: WTForms asks for each field of the forms a
    route builds, the routes for each parameter they parse."""

    read: set[str] = set()

    def __getitem__(self, key):
        _ReadKeys.read.add(key)
        return super().__getitem__(key)

    def __contains__(self, key):
        _ReadKeys.read.add(key)
        return super().__contains__(key)

    def get(self, key, *args, **kwargs):
        _ReadKeys.read.add(key)
        return super().get(key, *args, **kwargs)

    def getlist(self, key, *args, **kwargs):
        _ReadKeys.read.add(key)
        return super().getlist(key, *args, **kwargs)


def _noting_reads(app) -> None:
    app.request_class = type("NotingRequest", (app.request_class,),
                             {"parameter_storage_class": _ReadKeys})


def _sweep(send, first_names, bad_values) -> int:
    """Send each bad value in each name the route reads: ``send(name, value)`` returns the
    names the request read, so a name read only in some cases (a field shown for one
    choice) is swept too once a request reads it. Returns how many requests were made."""
    done: set[str] = set()
    todo = set(first_names)
    sent = 0
    while todo:
        name = min(todo)
        todo.discard(name)
        done.add(name)
        for value in bad_values:
            todo |= send(name, value) - done
            sent += 1
    return sent


# Each GET route is asked once with no query string, which names the parameters its code
# reads (the page number, the filters, the board's "last-<stage>" positions...); then each of
# them gets each bad number, a request alone. A route that reads no parameter costs one
# request, where sending every parameter to every route cost ~4,000.
@pytest.mark.parametrize("half", [0, 1])
def test_every_get_route_answers_bad_query_numbers_without_a_500(client, world, half):
    app = client.application
    _noting_reads(app)
    checked = 0
    urls = sorted({_url(rule, world["ids"]) for rule in _rules(app, "GET")})
    for url in urls[half::2]:
        if "<" in url:
            continue  # a token or file name: not a number

        def send(name, value, url=url):
            nonlocal checked
            _ReadKeys.read = set()
            response = client.get(url, query_string={name: value} if name else None,
                                  htmx=checked % 2 == 1)  # both kinds, without doubling
            assert response.status_code < 500, (url, name, value)
            checked += 1
            return _ReadKeys.read - {""}

        _sweep(send, send("", ""), BAD_NUMBERS)
    assert checked > 200


def test_the_get_sweep_sees_the_parameters_the_routes_read(client, world):
    """The sweep's discovery finds the parameters named in the code (a new way of reading
    them that it missed would leave a route unchecked)."""
    app = client.application
    _noting_reads(app)
    stage = world["project"].stage_id
    expected = {"/board": {"advisor", "theme", "mine", "q"},
                "/board/closed": {"page"}, f"/board/stages/{stage}": {"after"},
                "/admin/users": {"page", "role"}, "/pipeline": {"advisor", "theme", "preset", "cohort"}}
    for url, names in expected.items():
        _ReadKeys.read = set()
        assert client.get(url).status_code == 200, url
        assert names <= _ReadKeys.read, (url, names - _ReadKeys.read)


@pytest.mark.parametrize("url", ["/board/closed?page=", "/admin/users?page=",
                                 "/notifications?page=", "/next-steps?page="])
@pytest.mark.parametrize("value", [HUGE, "-5", "0", "abc"])
def test_a_page_number_out_of_range_is_a_400_that_says_why(client, world, url, value):
    response = client.get(url + value)
    assert response.status_code == 400
    assert "must be a whole number" in response.get_data(as_text=True)


def test_an_empty_or_reasonable_page_number_still_works(client, world):
    assert client.get("/board/closed?page=").status_code == 200
    assert client.get("/board/closed?page=2").status_code == 200


def test_a_load_more_position_out_of_range_is_a_400(client, world):
    stage_id = world["project"].stage_id
    assert client.get(f"/board/stages/{stage_id}?after=1").status_code == 200
    assert client.get(f"/board/stages/{stage_id}?after={HUGE}").status_code == 400
    assert client.get(f"/board/stages/{stage_id}?after=-{HUGE}").status_code == 400


def test_a_board_filter_out_of_range_is_ignored(client, world):
    response = client.get(f"/board?advisor={HUGE}&theme={HUGE}")
    assert response.status_code == 200
    assert world["project"].title in response.get_data(as_text=True)


def _integer_field_names() -> set[str]:
    names = set()
    for form in _app_forms():
        for name, unbound in vars(form).items():
            field_class = getattr(unbound, "field_class", None)
            if field_class is None:
                continue
            coerce = unbound.kwargs.get("coerce")
            if issubclass(field_class, IntegerField | NullableSelectField) or (
                    issubclass(field_class, SelectField) and coerce not in (None, str)):
                names.add(name)
    return names


def test_the_forms_have_the_integer_fields_the_sweep_expects():
    assert {"version", "after_id", "stage_id", "position", "page", "assignee_id",
            "advisor_id", "theme_id", "legal_form_id"} <= _integer_field_names()


def _valid_data(world) -> dict:
    """A value every form accepts for each field name (so only the one changed fails)."""
    project = db.session.get(Project, world["project"].id)
    stages = factories.stages()
    return {
        "version": str(project.version), "stage_id": str(stages[1].id), "after_id": "",
        "position": "", "comment": "Avancée", "outcome": "launched", "reason": "Parce que",
        "title": "Titre", "pitch": "Un pitch", "commune": "Redon", "name": "Nom",
        "email": "someone@example.org", "body": "Texte", "kind": "meeting",
        "happened_on": date.today().isoformat(), "visibility": "internal",
        "due_on": date.today().isoformat(), "assignee_id": str(world["manager"].id),
        "advisor_id": str(world["manager"].id), "theme_id": "", "legal_form_id": "",
        "role": "advisor", "page": "1", "locale": "fr", "save_draft": "1",
        "document-visibility": "shared",
    }


# Each POST route gets the valid data once, which names the fields its forms and code read;
# then each of them gets the bad value, the others staying valid (so only that one can fail):
# the forms' whole-number fields, and what a route parses itself (a cohort id, an order).
NOT_SWEPT = {"csrf_token", "document-csrf_token"}


@pytest.mark.parametrize("value", [HUGE, str(-MAX_ID - 5), "abc", "1" * 5000])
def test_every_post_route_answers_bad_form_numbers_without_a_500(client, world, value):
    app = client.application
    _noting_reads(app)
    checked = 0
    for rule in _rules(app, "POST"):
        url = _url(rule, world["ids"])
        if "<" in url or rule.endpoint.startswith("auth."):
            continue  # auth forms have no numbers, and would log the manager out

        def send(name, value, url=url):
            nonlocal checked
            data = _valid_data(world)
            if name:
                data[name] = value
            _ReadKeys.read = set()
            htmx = len(value) % 2 == 1  # both kinds over the values, without doubling the cost
            response = client.post(url, data=data, htmx=htmx)
            assert response.status_code < 500, (url, name, value)
            checked += 1
            return _ReadKeys.read - NOT_SWEPT

        _sweep(send, send("", ""), [value])
    assert checked > 250


def test_a_huge_version_in_the_move_form_is_refused_with_the_form(client, world):
    project = world["project"]
    response = client.post(f"/projects/{project.id}/move", data={
        "stage_id": str(factories.stage(2).id), "version": HUGE})
    assert response.status_code == 422
    assert db.session.get(Project, project.id).stage_id == factories.stage(1).id


@pytest.mark.parametrize("field", ["jobs_envisaged", "funding_need"])
@pytest.mark.parametrize("value", ["1e999999", "1E-999999", "NaN", "Infinity", "9" * 5000])
def test_decimals_nobody_types_are_refused_with_a_message(client, login, field, value):
    login("holder")
    response = client.post("/projects/new", data=factories.complete_idea(**{field: value}))
    assert response.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(Project)) == 0


@pytest.mark.parametrize("value", ["0001-01-01", "9999-12-31", "1899-12-31"])
def test_dates_out_of_a_sensible_span_are_refused_with_a_message(client, world, value):
    project = world["project"]
    response = client.post(f"/projects/{project.id}/next-steps", data={
        "title": "Appeler", "due_on": value, "assignee_id": str(world["manager"].id)})
    assert response.status_code == 422
    assert "Enter a date between" in response.get_data(as_text=True)
    response = client.post(f"/projects/{project.id}/notes", data={
        "kind": "call", "happened_on": value, "body": "x", "visibility": "internal"})
    assert response.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(NextStep)) == 1


def test_a_nul_byte_in_a_text_is_refused_not_sent_to_the_database(client, world):
    project = world["project"]
    response = client.post(f"/projects/{project.id}/notes", data={
        "kind": "call", "happened_on": date.today().isoformat(), "body": "avant\x00après",
        "visibility": "internal"})
    assert response.status_code == 422
    assert "control characters" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Note)) == 1


# A search or a commune filter with %00 reached PostgreSQL, which refuses NUL in text: a 500
# on the board, the directory and the review, a download cut short on /exports.
@pytest.mark.parametrize("url", ["/board?q=a%00b", "/board?commune=Redon%00",
                                 "/members?q=%00", "/members?commune=%00",
                                 "/pipeline?commune=Redon%00",
                                 "/exports/projects?format=csv&commune=Redon%00",
                                 "/exports/directory?format=xlsx&commune=%00",
                                 "/pipeline?x%00=1"])
@pytest.mark.parametrize("htmx", [False, True])
def test_a_nul_byte_in_the_query_string_is_a_400_that_says_why(client, world, url, htmx):
    response = client.get(url, htmx=htmx)
    assert response.status_code == 400
    assert "null character" in response.get_data(as_text=True)
    if htmx:
        assert response.headers.get("HX-Push-Url") == "false"


def test_a_query_string_without_nul_still_filters(client, world):
    assert client.get("/board?q=a&commune=Redon").status_code == 200
    assert client.get("/exports/projects?format=csv&commune=Redon").status_code == 200


def test_line_breaks_and_tabs_stay_allowed_in_multi_line_text(client, world):
    project = world["project"]
    response = client.post(f"/projects/{project.id}/notes", data={
        "kind": "call", "happened_on": date.today().isoformat(),
        "body": "Ligne 1\r\n\tLigne 2", "visibility": "internal"})
    assert response.status_code == 303


# 3. Single-line fields ---------------------------------------------------------------------

def test_every_form_of_the_application_inherits_the_base_form():
    forms = _app_forms()
    assert len(forms) > 15
    assert [f.__qualname__ for f in forms if not issubclass(f, Form)] == []


def _single_line_fields(form) -> list:
    return [field for field in form
            if isinstance(field, StringField)
            and not isinstance(field, TextAreaField | HiddenField | PasswordField)]


@pytest.mark.parametrize("text", ["une\nligne", "une\r\nligne", "une\rligne", "une\u2028ligne"])
def test_every_single_line_field_refuses_a_line_break(app, text):
    checked = 0
    with app.test_request_context(headers={"Accept-Language": "en"}):
        for form_class in _app_forms():
            form = form_class(formdata=MultiDict(), meta={"csrf": False})
            for field in _single_line_fields(form):
                field.process(MultiDict({field.name: text}))
                field.validate(form, _checks(field))
                assert "Write this on one line." in field.errors, (form_class, field.name)
                checked += 1
    assert checked >= 8


def test_every_single_line_field_refuses_control_characters(app):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        for form_class in _app_forms():
            form = form_class(formdata=MultiDict(), meta={"csrf": False})
            for field in _single_line_fields(form):
                field.process(MultiDict({field.name: "un\x00nom\t"}))
                field.validate(form, _checks(field))
                assert any("control characters" in e for e in field.errors), field.name


def test_every_text_field_has_a_length_limit(app):
    """A string longer than its column is a database error: each field says its maximum."""
    with app.test_request_context(headers={"Accept-Language": "en"}):
        for form_class in _app_forms():
            form = form_class(formdata=MultiDict(), meta={"csrf": False})
            for field in form:
                if isinstance(field, StringField) and not isinstance(
                        field, HiddenField | PasswordField):
                    assert any(getattr(v, "max", -1) > 0 for v in field.validators), \
                        (form_class, field.name)


def test_a_title_with_a_line_break_is_refused_next_to_the_field(client, login):
    login("holder")
    response = client.post("/projects/new",
                           data=factories.complete_idea(title="Épicerie\r\nBcc: x@evil.org"))
    assert response.status_code == 422
    assert "Write this on one line." in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Project)) == 0


def test_a_name_with_a_line_break_is_refused_in_french_too(client):
    response = client.post("/auth/register", headers={"Accept-Language": "fr"}, data={
        "name": "Camille\nDupont", "email": "camille@example.org",
        "password": factories.PASSWORD, "confirm": factories.PASSWORD, "consent": "y"})
    assert response.status_code == 422
    assert "Écrivez ceci sur une seule ligne." in response.get_data(as_text=True)


# 4. E-mail headers ---------------------------------------------------------------------------

def test_mail_headers_never_carry_a_line_break(app):
    with app.app_context():
        message = build_message("a@example.org\r\nBcc: b@evil.org",
                                "Projet\r\nBcc: c@evil.org\u2028fin", "Corps\nsur deux lignes")
    raw = bytes(message).decode()
    assert "\nBcc:" not in raw
    assert message["Subject"] == "Projet Bcc: c@evil.org fin"
    assert "Corps\nsur deux lignes" in message.get_content()


def test_a_stored_title_with_a_line_break_does_not_stop_adding_a_new_co_holder(client, world):
    project = world["project"]
    project.title = "Ancien titre\r\nsur deux lignes"
    db.session.commit()
    app = client.application
    app.extensions["outbox"] = []
    response = client.post(f"/projects/{project.id}/holders",
                           data={"email": "new@example.org", "name": "Nouvelle"})
    assert response.status_code == 303
    holder = db.session.scalar(select(User).where(User.email == "new@example.org"))
    assert db.session.get(ProjectHolder, (project.id, holder.id)) is not None
    [mail] = [m for m in app.extensions["outbox"] if m["To"] == "new@example.org"]
    # A new person has not chosen a language: the mail is in French, on one line.
    assert mail["Subject"] == ("Vous êtes invité·e à suivre « Ancien titre sur deux lignes » "
                               "sur Incubateur")


def test_a_notification_about_a_title_with_a_line_break_is_sent(client, world):
    project = world["project"]
    project.title = "Titre\nfendu"
    db.session.commit()
    app = client.application
    app.extensions["outbox"] = []
    response = client.post(f"/projects/{project.id}/move", data={
        "stage_id": str(factories.stage(2).id), "version": str(project.version)})
    assert response.status_code == 303
    mails = db.session.scalars(select(OutgoingMail)).all()
    assert mails and all(m.sent_at is not None and "\n" not in m.subject for m in mails)
    assert any("Titre fendu" in m["Subject"] for m in app.extensions["outbox"])


# 5. Uniqueness races ------------------------------------------------------------------------

def _miss_once(monkeypatch, module, name="find_user_by_email"):
    """The existence check of ``module`` misses the row the first time, as when another
    request inserts it between the check and the insert."""
    real = getattr(module, name)
    calls = []

    def fake(*args, **kwargs):
        calls.append(args)
        return None if len(calls) == 1 else real(*args, **kwargs)

    monkeypatch.setattr(module, name, fake)
    return calls


def test_a_registration_losing_the_race_gets_the_forms_message(client, monkeypatch):
    from incubator.auth import services

    factories.user(email="camille@example.org")
    db.session.commit()
    calls = _miss_once(monkeypatch, services)
    response = client.post("/auth/register", data={
        "name": "Camille", "email": "camille@example.org", "password": factories.PASSWORD,
        "confirm": factories.PASSWORD, "consent": "y"})
    assert calls  # the check did run, and missed
    assert response.status_code == 422
    assert "An account already exists with this e-mail address" in response.get_data(
        as_text=True)
    assert db.session.scalar(select(func.count()).select_from(User)) == 1


def test_an_invitation_losing_the_race_gets_the_forms_message(client, world, monkeypatch):
    from incubator.auth import services

    factories.user("advisor", email="alex@example.org")
    db.session.commit()
    _miss_once(monkeypatch, services)
    response = client.post("/admin/users/invite", data={
        "name": "Alex", "email": "alex@example.org", "role": "advisor"})
    assert response.status_code == 422
    assert "An account already exists with this e-mail address." in response.get_data(
        as_text=True)
    # The manager's session and transaction survived the savepoint's rollback.
    assert client.get("/admin/users").status_code == 200


def test_a_co_holder_created_at_the_same_moment_is_linked(client, world, monkeypatch):
    from incubator.auth import services
    from incubator.projects import services as people

    other = factories.user("holder", email="dom@example.org")
    db.session.commit()
    _miss_once(monkeypatch, services)
    _miss_once(monkeypatch, people)
    project = world["project"]
    response = client.post(f"/projects/{project.id}/holders",
                           data={"email": "dom@example.org", "name": "Dom"})
    assert response.status_code == 303
    assert db.session.get(ProjectHolder, (project.id, other.id)) is not None
    assert db.session.scalar(select(func.count()).select_from(User).where(
        User.email == "dom@example.org")) == 1


def test_a_holder_added_twice_at_the_same_moment_is_said_already_there(client, world,
                                                                        monkeypatch):
    from incubator.projects import services as people

    project = world["project"]
    holder = factories.user("holder")
    db.session.commit()
    real_get = db.session.get

    def blind_get(model, key, *args, **kwargs):
        if model is ProjectHolder:
            # The other request links the holder just after this check.
            db.session.execute(insert(ProjectHolder).values(project_id=key[0], user_id=key[1]))
            return None
        return real_get(model, key, *args, **kwargs)

    monkeypatch.setattr(people.db.session, "get", blind_get, raising=False)
    response = client.post(f"/projects/{project.id}/holders",
                           data={"email": holder.email, "name": ""}, htmx=True)
    monkeypatch.undo()
    assert response.status_code == 422
    assert "is already a holder of this project" in response.get_data(as_text=True)


@pytest.mark.skipif(not is_postgres(), reason="real parallel transactions need PostgreSQL")
def test_eight_parallel_registrations_of_one_address_give_one_account_and_no_500():
    app = make_app(REGISTER_LIMIT="100 per hour")
    reset_database(app)
    clients = [app.test_client() for _ in range(8)]
    for each in clients:
        each.get("/auth/register")
    barrier = threading.Barrier(len(clients))
    statuses: list[int] = []
    bodies: list[str] = []

    def register(each) -> None:
        barrier.wait()
        response = each.post("/auth/register", data={
            "name": "Camille", "email": "race@example.org", "password": factories.PASSWORD,
            "confirm": factories.PASSWORD, "consent": "y"})
        statuses.append(response.status_code)
        bodies.append(response.get_data(as_text=True))

    threads = [threading.Thread(target=register, args=(each,)) for each in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(statuses) == [303] + [422] * 7, statuses
    assert sum("An account already exists" in body for body in bodies) == 7
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User).where(
            User.email == "race@example.org")) == 1
        db.session.remove()
        db.engine.dispose()


# 6. Zip bombs ----------------------------------------------------------------------------------

def _docx(member_bytes: int, *, members: int = 1) -> bytes:
    """A Word file whose document.xml inflates to ``member_bytes`` zeros, written in chunks
    so the test never holds the inflated content."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        chunk = b"\0" * (1024 * 1024)
        with archive.open("word/document.xml", "w", force_zip64=True) as entry:
            left = member_bytes
            while left > 0:
                entry.write(chunk[:left])
                left -= len(chunk)
        for n in range(members - 1):
            archive.writestr(f"word/media/{n}.xml", "")
    return out.getvalue()


def test_a_zip_bomb_is_refused_with_a_clear_message(client, world):
    from .test_documents import upload

    bomb = _docx(300 * 1024 * 1024)  # 300 MB of zeros in a few hundred KB
    assert len(bomb) < 1024 * 1024
    response = upload(client, world["project"], bomb, "plan.docx")
    assert response.status_code == 422
    assert "far more room once opened" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Document)) == 1


def test_an_archive_far_beyond_the_configured_bound_is_refused(client, world):
    from .test_documents import upload

    client.application.config["DOCUMENT_MAX_UNPACKED_BYTES"] = 1024 * 1024
    response = upload(client, world["project"], _docx(2 * 1024 * 1024), "plan.docx",
                      htmx=True)
    assert response.status_code == 422


def test_a_member_compressed_suspiciously_well_is_refused():
    assert filetypes.unpacks_too_big(_docx(8 * 1024 * 1024), 10**9)
    assert not filetypes.unpacks_too_big(_docx(1000), 10**9)


def test_an_archive_with_too_many_entries_is_refused(monkeypatch):
    monkeypatch.setattr(filetypes, "MAX_ENTRIES", 50)
    assert filetypes.unpacks_too_big(_docx(10, members=60), 10**9)
    assert not filetypes.unpacks_too_big(_docx(10, members=40), 10**9)


def _lying_docx(real_bytes: int, claimed: int = 1000, *, local: bool = True,
                central: bool = True) -> bytes:
    """A Word file whose document.xml inflates to ``real_bytes`` zeros while its headers (the
    local one, the central directory's, or both) claim ``claimed`` bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("word/document.xml", "w") as entry:
            chunk = b"\0" * (1024 * 1024)
            for start in range(0, real_bytes, len(chunk)):
                entry.write(chunk[:real_bytes - start])
    data = bytearray(out.getvalue())
    name = b"word/document.xml"
    if local:  # the name follows its local header (30 bytes), then the central entry's (46)
        struct.pack_into("<I", data, data.index(name) - 30 + 22, claimed)
    if central:
        struct.pack_into("<I", data, data.rindex(name) - 46 + 24, claimed)
    return bytes(data)


def test_headers_that_understate_a_members_size_are_caught_by_inflating_it():
    lying = _lying_docx(30 * 1024 * 1024)  # claims 1,000 bytes, inflates to 30 MB
    assert len(lying) < 100 * 1024
    with zipfile.ZipFile(io.BytesIO(lying)) as archive:  # what the old check trusted
        assert archive.getinfo("word/document.xml").file_size == 1000
    assert filetypes.unpacks_too_big(lying, 10**9)


@pytest.mark.parametrize("which", ["local", "central"])
def test_a_local_header_that_contradicts_the_central_directory_is_refused(which):
    honest_size = 5000
    data = _lying_docx(honest_size, claimed=4000, local=which == "local",
                       central=which == "central")
    assert filetypes.unpacks_too_big(data, 10**9)
    assert not filetypes.unpacks_too_big(_lying_docx(honest_size, claimed=honest_size), 10**9)


def test_a_compressed_size_larger_than_the_content_is_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", os.urandom(20_000))
    data = out.getvalue()
    assert not filetypes.unpacks_too_big(data, 10**9)  # incompressible, yet honest
    assert filetypes.unpacks_too_big(_lying_docx(20_000, claimed=10), 10**9)


def test_the_inflating_stops_at_the_limit_and_does_not_trust_the_total():
    # Honest headers, within the ratio, beyond the bound: refused without inflating it all.
    data = _docx(3 * 1024 * 1024, members=1)
    assert filetypes.unpacks_too_big(data, 2 * 1024 * 1024)
    assert not filetypes.unpacks_too_big(_docx(512 * 1024), 2 * 1024 * 1024)


def _docx_with(member: str, content: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document>Bonjour</w:document>")
        archive.writestr(member, content)
    return out.getvalue()


def test_a_document_embedding_a_zip_bomb_is_refused(client, world):
    from .test_documents import upload

    inner = _lying_docx(30 * 1024 * 1024)  # a bomb whose own headers look innocent
    outer = _docx_with("word/embeddings/Document.docx", inner)
    assert filetypes.detect(outer) is filetypes.DOCX
    assert filetypes.unpacks_too_big(outer, 10**9)
    response = upload(client, world["project"], outer, "plan.docx")
    assert response.status_code == 422
    assert "far more room once opened" in response.get_data(as_text=True)


def test_nested_archives_share_the_documents_limit():
    inner = _docx_with("word/media/noise.txt", os.urandom(1536 * 1024).hex().encode())  # 3 MB
    outer = _docx_with("word/embeddings/Feuille.xlsx", inner)
    assert filetypes.unpacks_too_big(outer, 2 * 1024 * 1024)
    assert not filetypes.unpacks_too_big(outer, 10 * 1024 * 1024)


def test_an_archive_two_levels_deep_is_refused_outright():
    deepest = _docx(100)
    middle = _docx_with("word/embeddings/a.docx", deepest)
    outer = _docx_with("word/embeddings/b.docx", middle)
    assert not filetypes.unpacks_too_big(middle, 10**9)  # one level: a chart's spreadsheet
    assert filetypes.unpacks_too_big(outer, 10**9)


def test_a_lying_upload_is_refused_by_the_route(client, world):
    from .test_documents import upload

    response = upload(client, world["project"], _lying_docx(30 * 1024 * 1024), "plan.docx",
                      htmx=True)
    assert response.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(Document)) == 1


def test_an_ordinary_word_file_is_still_accepted(client, world):
    from .test_documents import upload

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document>" + "Bonjour. " * 2000 + "</w>")
    response = upload(client, world["project"], out.getvalue(), "plan.docx")
    assert response.status_code == 303


def _collide_once(monkeypatch, taken: int) -> list:
    """The end of the column is read before another project, entering at the same moment,
    takes it: the first read returns the place that is already taken."""
    from incubator import positions

    real = positions.end_position
    calls = []

    def stale(*args, **kwargs):
        calls.append(args)
        return taken if len(calls) == 1 else real(*args, **kwargs)

    monkeypatch.setattr(positions, "end_position", stale)
    return calls


def test_two_ideas_submitted_at_the_same_moment_both_enter_the_board(client, login,
                                                                      monkeypatch):
    login("holder")
    other = factories.project()
    db.session.commit()
    calls = _collide_once(monkeypatch, other.position)
    response = client.post("/projects/new", data={**factories.complete_idea(),
                                                  "submit_idea": "1"})
    assert response.status_code == 303
    assert len(calls) == 2  # collided, read the end again
    positions = db.session.scalars(select(Project.position).order_by(Project.id)).all()
    assert len(set(positions)) == 2 and None not in positions


def test_a_project_reopened_while_another_enters_its_column_gets_a_free_place(client, world,
                                                                               monkeypatch):
    project = world["project"]
    response = client.post(f"/projects/{project.id}/pause", data={
        "version": str(project.version), "reason": "En pause"})
    assert response.status_code == 303
    other = factories.project()
    db.session.commit()
    project = db.session.get(Project, project.id)
    _collide_once(monkeypatch, other.position)
    response = client.post(f"/projects/{project.id}/reopen",
                           data={"confirm": "1", "version": str(project.version)})
    assert response.status_code == 303
    project = db.session.get(Project, project.id)
    assert project.status == "active"
    assert project.position is not None and project.position != other.position


# -- numbers from request-derived text ----------------------------------------------------

# Every int() in the package, with why its argument cannot come from a request. Text from a
# request (query strings, cookies, headers, tokens, form values) goes through
# params.parse_int / query_int: a new int() call fails here until it is reviewed.
INT_CALLS_REVIEWED = {
    ("pipeline/queries.py", "int(change)"),  # SQL sum of stage_flow_days.change
    ("security_log.py", "int(user.get_id())"),  # the loaded user's own id (a database row)
    ("partners/queries.py", "int(cents)"),  # SQL sums of integer cents
    ("partners/queries.py", "int(row_year)"),  # EXTRACT(year) of a stored date
    ("supports/queries.py", "int(total)"),  # SQL sum of integer cents
    ("supports/services.py", "int(cents)"),  # a form's bounded Decimal, checked whole
    ("supports/services.py", "int(MAX_AMOUNT * 100)"),  # a constant
    ("supports/demo.py", "int(Decimal(euros) * 100)"),  # the demo's own constants
    ("board/queries.py", "int(total)"),  # SQL aggregates
    ("board/queries.py", "int(matching or 0)"),
    ("next_steps/queries.py", "int(count)"),
    ("next_steps/queries.py", "int(overdue or 0)"),
    ("next_steps/queries.py", "int(count or 0)"),
    ("mentoring/queries.py", "int(count)"),  # SQL aggregates
    ("mentoring/suggestions.py", "int(taken.get(organisation.id, 0))"),
    ("projects/services.py", 'int((amount * 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP))'),
    ("security_log.py", "int(current_user.get_id())"),  # a loaded User's integer id
    ("config.py", "int(value)"),  # the operator's environment, at start-up
    ("config.py", "int(port)"),  # FLASK_RUN_PORT, digits only, at start-up
    ("params.py", "int(text)"),  # the bounded parser itself
    ("extensions.py", "int(limit.reset_at - time.time())"),  # Flask-Limiter's own clock
    # Issue 12. Typed durations: regular expressions of 1 to 5 digits, then range-checked.
    ("accompaniment/durations.py", "int(found.group(1))"),
    ("accompaniment/durations.py", "int(found.group(2) or 0)"),
    ("accompaniment/durations.py", "int(found.group(2))"),
    ("accompaniment/durations.py", "int(whole)"),
    ("accompaniment/durations.py", "int(decimals)"),
    ("accompaniment/durations.py", "int(minutes)"),  # a checked Decimal, or stored minutes
    # SQL aggregates (sums and counts of stored integers).
    ("accompaniment/queries.py", "int(minutes)"),
    ("accompaniment/queries.py", "int(count)"),
    ("accompaniment/queries.py", "int(total)"),
    ("report/queries.py", "int(minutes)"),
    ("territory/queries.py", "int(row.employers)"),
    ("territory/queries.py", "int(row.members)"),
    ("territory/queries.py", "int(row.member_employers)"),
    ("territory/queries.py", "int(row.estimated)"),
    ("territory/queries.py", "int(row.unknown)"),
    ("territory/queries.py", "int(self.jobs.quantize(Decimal(1), rounding=ROUND_HALF_UP))"),
    ("territory/forms.py", "int(self.salaried_jobs.data)"),  # a form's bounded whole Decimal
    ("charts.py", "int(value)"),  # a Table's stored cents or an integral Decimal
    ("board/queries.py", "int(a)"),  # card marks: a count or a sum of cents from the database
    ("board/queries.py", "int(b or 0)"),  # card marks: the overdue steps' count
}


def _package_sources():
    root = Path(incubator.__file__).parent
    for path in sorted(root.rglob("*.py")):
        yield path.relative_to(root).as_posix(), path.read_text(encoding="utf-8")


def test_numbers_from_requests_are_read_only_by_the_bounded_parsers():
    found = set()
    for name, source in _package_sources():
        for node in ast.walk(ast.parse(source)):
            if not isinstance(node, ast.Call):
                continue
            if isinstance(node.func, ast.Name) and node.func.id == "int":
                found.add((name, ast.get_source_segment(source, node)))
            # str.isdigit() accepts '²' and '١', which int() refuses or reads unbounded.
            if (isinstance(node.func, ast.Attribute) and node.func.attr == "isdigit"
                    and name != "params.py"):
                found.add((name, ast.get_source_segment(source, node)))
    assert found <= INT_CALLS_REVIEWED, sorted(found - INT_CALLS_REVIEWED)


@pytest.mark.parametrize("raw", ["²", "١٢", "1.0", "", None, " ", "-", "9" * 20, "1e3", 12])
def test_parse_int_takes_only_plain_ascii_numbers_in_range(raw):
    assert parse_int(raw) is None


def test_parse_int_reads_plain_numbers_and_respects_its_bounds():
    assert parse_int(" 42 ") == 42 and parse_int("-5", -10, 10) == -5
    assert parse_int(str(2**31)) is None and parse_int("0") is None
    assert parse_int("1" + "0" * 25, 0, 10**30, max_digits=31) == 10**25

"""Notes (suivi) on the project page: writing, editing with history, deleting, conflicts,
who may read and write what, hostile text, and the holders told of shared notes."""

from __future__ import annotations

from datetime import date, timedelta
from html.parser import HTMLParser

import pytest
from flask import current_app
from sqlalchemy import func, select

from incubator.extensions import db
from incubator.models import Note, NoteRevision, Notification, OutgoingMail, ProjectHolder
from incubator.notes import queries
from incubator.notes.forms import local_today, section_forms
from incubator.notes.services import create_note, delete_note, update_note
from incubator.notifications.services import NOTE_SHARED
from incubator.permissions import visible_project

from . import factories
from .helpers import MESSAGE_OOB, count_statements, project_changed


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _note(project, author, body="Rendez-vous au local.", visibility="internal", **fields):
    """A note written through the service (a shared one notifies the holders)."""
    with current_app.test_request_context():
        project = visible_project(author, project.id)  # with its holders, as routes load it
        note = create_note(project, author, kind=fields.pop("kind", "meeting"),
                           happened_on=fields.pop("happened_on", date(2025, 3, 14)), body=body,
                           visibility=visibility)
        db.session.commit()
    return note


def _data(**overrides) -> dict:
    data = {"kind": "call", "happened_on": date.today().isoformat(),
            "body": "Appel avec Anne.\nElle a trouvé un local.", "visibility": "internal"}
    data.update(overrides)
    return data


def _edit(note, **overrides) -> dict:
    data = {"kind": note.kind, "happened_on": note.happened_on.isoformat(), "body": note.body,
            "visibility": note.visibility, "version": note.version}
    data.update(overrides)
    return data


def _notes_url(project, note=None, action="") -> str:
    url = f"/projects/{project.id}/notes"
    if note is not None:
        url += f"/{note.id}"
    return url + (f"/{action}" if action else "")


@pytest.fixture
def followed(login):
    """An advisor logged in, on a project with one holder."""
    advisor = login("advisor", name="Yann Le Goff")
    holder = factories.user(name="Anne Briand")
    project = factories.project(holders=[holder], title="Épicerie vrac")
    db.session.commit()
    return advisor, holder, project


def _log_in_as(auth, user) -> None:
    auth.logout()
    assert auth.login(user).status_code == 303


# Writing


def test_an_advisor_writes_a_note_with_a_plain_form(client, followed):
    advisor, _, project = followed
    response = client.post(_notes_url(project), data=_data(visibility="shared"))
    note = db.session.scalar(select(Note))
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/projects/{project.id}#note-{note.id}")
    assert (note.project_id, note.author_id, note.kind, note.visibility, note.version) == (
        project.id, advisor.id, "call", "shared", 1)
    assert note.body == "Appel avec Anne.\nElle a trouvé un local."
    assert note.happened_on == date.today() and note.deleted_at is None
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Note added." in page
    assert f'id="note-{note.id}"' in page and "Elle a trouvé un local." in page


def test_an_htmx_note_comes_back_with_a_fresh_form_the_list_and_the_history(client, followed):
    _, _, project = followed
    response = client.post(_notes_url(project), data=_data(), htmx=True)
    html = response.get_data(as_text=True)
    note = db.session.scalar(select(Note))
    assert response.status_code == 200 and "<html" not in html
    assert "HX-Request" in response.headers["Vary"]
    assert html.lstrip().startswith(f'<form id="note-form-project-{project.id}"')
    assert f'<div id="note-list-project-{project.id}" class="note-list" hx-swap-oob="true">' in html
    assert f'<article id="note-{note.id}"' in html
    assert project_changed(response)  # the history reloads itself
    assert MESSAGE_OOB in html and "Note added." in html
    # The form is reset: empty text, today's date, internal.
    form = html.split("</form>")[0]
    assert "Elle a trouvé un local." not in form
    assert f'value="{local_today().isoformat()}"' in form  # the pole's day, not UTC's
    assert f'checked id="new-note-project-{project.id}-visibility-internal"' in form


def test_the_project_page_offers_the_form_to_staff_with_its_defaults(client, followed):
    _, _, project = followed
    page = client.get(f"/projects/{project.id}").get_data(as_text=True)
    assert f'id="notes-project-{project.id}"' in page
    assert f'<form id="note-form-project-{project.id}"' in page
    assert f'hx-post="/projects/{project.id}/notes"' in page
    assert 'hx-trigger="project-changed from:body"' in page
    assert f'value="{local_today().isoformat()}"' in page
    assert "No notes yet." in page


@pytest.mark.parametrize("field, value, error", [
    ("body", "   ", "Write the note."),
    ("body", "x" * 20_001, "at most 20000 characters"),
    ("happened_on", "", "Enter the date"),
    ("happened_on", "14/03/2025", "Enter a valid date."),
    # Three days: one of slack, and the pole's day may be a day ahead of UTC's.
    ("happened_on", (date.today() + timedelta(days=3)).isoformat(), "cannot be in the future"),
    ("kind", "lunch", "Choose one of the options offered"),
    ("visibility", "public", "Choose one of the options offered"),
])
def test_invalid_notes_come_back_with_their_errors(client, followed, field, value, error):
    _, _, project = followed
    plain = client.post(_notes_url(project), data=_data(**{field: value}))
    assert plain.status_code == 422 and "<html" in plain.get_data(as_text=True)
    assert error in plain.get_data(as_text=True)
    response = client.post(_notes_url(project), data=_data(**{field: value}), htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "<html" not in html
    assert "HX-Request" in response.headers["Vary"]
    assert html.lstrip().startswith(f'<form id="note-form-project-{project.id}"')
    assert error in html and 'role="alert"' in html
    assert _count(Note) == 0


def test_the_text_typed_is_kept_when_the_form_comes_back(client, followed):
    _, _, project = followed
    response = client.post(_notes_url(project), htmx=True,
                           data=_data(happened_on="", body="Visite du local"))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Visite du local</textarea>" in html and 'aria-invalid="true"' in html


def test_a_date_up_to_tomorrow_is_accepted(client, followed):
    _, _, project = followed
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    assert client.post(_notes_url(project), data=_data(happened_on=tomorrow)).status_code == 303
    assert client.post(_notes_url(project), data=_data(body="x" * 20_000)).status_code == 303
    assert _count(Note) == 2


def test_writing_a_note_needs_the_csrf_token(client, followed):
    _, _, project = followed
    assert client.post(_notes_url(project), data=_data(), csrf=False).status_code == 400
    assert client.post(_notes_url(project), data=_data(), csrf=False,
                       htmx=True).status_code == 400
    assert _count(Note) == 0


# Hostile text

HOSTILE = [
    ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
    ("<img src=x onerror=alert(1)>", "&lt;img src=x onerror=alert(1)&gt;"),
    ('<a href="javascript:alert(1)">x</a>', "&lt;a href=&#34;javascript:alert(1)&#34;&gt;x&lt;/a&gt;"),
    ('<div hx-get="/admin/users" hx-trigger="load">',
     "&lt;div hx-get=&#34;/admin/users&#34; hx-trigger=&#34;load&#34;&gt;"),
]


class Markup(HTMLParser):
    """Every element of a page, with its attributes, as a browser would build them."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))


def assert_inert(html: str) -> None:
    """No element of ``html`` came from the hostile text."""
    for tag, attrs in Markup(html).elements:
        assert not (tag == "img" and attrs.get("src") == "x"), attrs
        assert not (tag == "script" and "src" not in attrs), attrs
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)
        assert not (attrs.get("href") or "").lower().startswith("javascript:"), attrs
        assert attrs.get("hx-get") != "/admin/users", attrs


@pytest.mark.parametrize("hostile, escaped", HOSTILE)
def test_hostile_text_is_shown_as_text_and_never_as_markup(client, auth, followed, hostile,
                                                           escaped):
    _, holder, project = followed
    body = f"Compte rendu\n{hostile}\nfin"
    created = client.post(_notes_url(project), htmx=True,
                          data=_data(body=body, visibility="shared"))
    note = db.session.scalar(select(Note))
    assert note.body == body  # kept as typed: escaping happens on the way out
    edited = client.post(_notes_url(project, note), htmx=True,
                         data=_edit(note, body=body + " (relu)"))
    answers = [
        created.get_data(as_text=True),
        edited.get_data(as_text=True),  # with the previous version in <details>
        client.get(f"/projects/{project.id}").get_data(as_text=True),
        client.get(_notes_url(project), htmx=True).get_data(as_text=True),
        client.get(_notes_url(project, note), htmx=True).get_data(as_text=True),
        client.get(_notes_url(project, note, "edit"), htmx=True).get_data(as_text=True),
        client.get(_notes_url(project, note, "edit")).get_data(as_text=True),
    ]
    _log_in_as(auth, holder)
    answers.append(client.get(f"/projects/{project.id}").get_data(as_text=True))
    answers.append(client.get(_notes_url(project), htmx=True).get_data(as_text=True))
    for html in answers:
        assert hostile not in html
        assert escaped in html
        assert_inert(html)


def test_line_breaks_are_kept_by_the_note_body_style(client, followed, app):
    _, _, project = followed
    client.post(_notes_url(project), data=_data(body="ligne 1\nligne 2"))
    html = client.get(_notes_url(project), htmx=True).get_data(as_text=True)
    assert '<div class="note-body">ligne 1\nligne 2</div>' in html
    css = (app.static_folder + "/css/app.css")
    with open(css, encoding="utf-8") as stylesheet:
        assert ".note-body { white-space: pre-line;" in stylesheet.read()


# Editing


def test_an_edit_with_a_plain_form_keeps_the_previous_version(client, followed):
    advisor, _, project = followed
    note = _note(project, advisor, body="Premier jet")
    page = client.get(_notes_url(project, note, "edit"))
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<html" in html and "Edit the note" in html
    assert 'name="version" value="1"' in html and "Premier jet</textarea>" in html
    response = client.post(_notes_url(project, note),
                           data=_edit(note, body="Texte relu", kind="visit",
                                      visibility="shared"))
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/projects/{project.id}#note-{note.id}")
    note = db.session.get(Note, note.id)
    assert (note.body, note.kind, note.visibility, note.version) == (
        "Texte relu", "visit", "shared", 2)
    assert note.updated_at is not None
    revision = db.session.scalar(select(NoteRevision))
    assert (revision.note_id, revision.body, revision.kind, revision.visibility,
            revision.happened_on, revision.edited_by_id) == (
        note.id, "Premier jet", "meeting", "internal", date(2025, 3, 14), advisor.id)


def test_an_htmx_edit_replaces_the_note_in_place(client, followed):
    advisor, _, project = followed
    note = _note(project, advisor, body="Premier jet")
    form = client.get(_notes_url(project, note, "edit"), htmx=True)
    html = form.get_data(as_text=True)
    assert form.status_code == 200 and "<html" not in html
    assert "HX-Request" in form.headers["Vary"]
    assert html.lstrip().startswith(f'<article id="note-{note.id}" class="note editing"')
    assert f'hx-post="/projects/{project.id}/notes/{note.id}"' in html
    assert 'name="version" value="1"' in html
    response = client.post(_notes_url(project, note), data=_edit(note, body="Second jet"),
                           htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert "HX-Request" in response.headers["Vary"]
    assert html.lstrip().startswith(f'<article id="note-{note.id}" class="note note-internal"')
    assert "Second jet" in html and ">edited<" in html
    assert '<details class="note-revisions">' in html and "1 previous version" in html
    assert "Premier jet" in html and "Yann Le Goff" in html
    assert project_changed(response) and MESSAGE_OOB in html and "Note saved." in html
    second = client.post(_notes_url(project, note), data=_edit(
        db.session.get(Note, note.id), body="Troisième jet"), htmx=True)
    assert "2 previous versions" in second.get_data(as_text=True)
    assert [r.body for r in db.session.scalars(select(NoteRevision).order_by(NoteRevision.id))
            ] == ["Premier jet", "Second jet"]


def test_an_invalid_edit_comes_back_with_its_errors(client, followed):
    advisor, _, project = followed
    note = _note(project, advisor, body="Premier jet")
    plain = client.post(_notes_url(project, note), data=_edit(note, body=""))
    assert plain.status_code == 422 and "<html" in plain.get_data(as_text=True)
    response = client.post(_notes_url(project, note), data=_edit(note, body=""), htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "<html" not in html
    assert html.lstrip().startswith(f'<article id="note-{note.id}" class="note editing"')
    assert f'id="note-{note.id}-body-error"' in html
    assert db.session.get(Note, note.id).body == "Premier jet" and _count(NoteRevision) == 0


def test_an_unchanged_edit_records_no_revision(client, followed):
    advisor, _, project = followed
    note = _note(project, advisor)
    response = client.post(_notes_url(project, note), data=_edit(note), htmx=True)
    assert response.status_code == 200 and "Nothing changed." in response.get_data(as_text=True)
    assert db.session.get(Note, note.id).version == 1 and _count(NoteRevision) == 0


@pytest.mark.parametrize("htmx", [False, True])
def test_a_stale_version_gets_409_with_the_current_note(client, followed, htmx):
    advisor, _, project = followed
    note = _note(project, advisor, body="Premier jet")
    stale = _edit(note, body="Ma version")
    client.post(_notes_url(project, note), data=_edit(note, body="Version d'un collègue"))
    response = client.post(_notes_url(project, note), data=stale, htmx=htmx)
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert ("<html" in html) is not htmx
    assert "Someone changed this note while you were editing it." in html
    assert "Version d&#39;un collègue" in html  # the current note, shown
    assert "Ma version</textarea>" in html  # what the user typed, kept
    assert 'name="version" value="2"' in html  # saving again is now deliberate
    note = db.session.get(Note, note.id)
    assert note.body == "Version d'un collègue" and note.version == 2
    assert _count(NoteRevision) == 1


@pytest.mark.parametrize("htmx", [False, True])
def test_deleting_a_note_changed_since_it_was_read_gets_409_and_keeps_it(client, followed,
                                                                           htmx):
    advisor, _, project = followed
    note = _note(project, advisor, body="Premier jet")
    client.post(_notes_url(project, note), data=_edit(note, body="Relue par un collègue"))
    response = client.post(_notes_url(project, note, "delete"), data={"confirm": "1", "version": 1},
                           htmx=htmx)
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Someone changed this note since you opened it: it is not deleted." in html
    if htmx:  # the list as it is now, with the changed note in it
        assert html.lstrip().startswith(f'<div id="note-list-project-{project.id}"')
        assert "Relue par un collègue" in html
        # the delete button went away: the focus goes to the message, not to the page's top
        assert 'role="alert" tabindex="-1" autofocus>Someone changed this note' in html
    note = db.session.get(Note, note.id)
    assert note.deleted_at is None and note.body == "Relue par un collègue"


@pytest.mark.parametrize("htmx", [False, True])
def test_editing_a_note_deleted_meanwhile_says_so_and_keeps_the_text(client, followed, htmx):
    """A colleague deleted the note while it was being edited: not a bare 404 ("page not
    found") that loses the text, but a 409 saying what happened; without JavaScript, the
    text comes back in a new-note form, ready to send."""
    advisor, _, project = followed
    note = _note(project, advisor, body="Premier jet")
    typed = _edit(note, body="Mon compte rendu complet")
    client.post(_notes_url(project, note, "delete"), data={"confirm": "1", "version": note.version})
    response = client.post(_notes_url(project, note), data=typed, htmx=htmx)
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "This note was deleted since you opened it" in html
    assert "Premier jet" not in html  # deleted content is never shown again
    if htmx:  # to the message area: the edit form, with the text, stays in the page
        assert response.headers["HX-Retarget"] == "#messages"
    else:
        assert "Mon compte rendu complet</textarea>" in html
        assert f'action="/projects/{project.id}/notes"' in html and 'name="form_token"' in html
    assert _count(Note) == 1


def test_a_note_deleted_twice_from_the_same_page_is_deleted_once(client, followed):
    advisor, _, project = followed
    note = _note(project, advisor)
    assert client.post(_notes_url(project, note, "delete"), data={"confirm": "1", "version": 1},
                       htmx=True).status_code == 200
    assert client.post(_notes_url(project, note, "delete"), data={"confirm": "1", "version": 1},
                       htmx=True).status_code == 404
    assert db.session.get(Note, note.id).version == 2


def test_two_editors_of_the_same_version_cannot_both_win(app, followed):
    """The version is checked inside the UPDATE: even when both read version 1 before
    either wrote, only one edit lands."""
    from incubator.versions import StaleVersion

    advisor, _, project = followed
    note = _note(project, advisor, body="Premier jet")
    with app.test_request_context():
        first = db.session.get(Note, note.id)
        db.session.execute(
            Note.__table__.update().where(Note.id == note.id).values(version=2, body="Autre")
        )
        with pytest.raises(StaleVersion):
            update_note(first, project, advisor, seen_version=1, kind="meeting",
                        happened_on=date(2025, 3, 14), body="Le mien", visibility="internal")
        db.session.rollback()
    assert db.session.get(Note, note.id).body == "Premier jet" and _count(NoteRevision) == 0


# Deleting


def test_a_plain_delete_removes_the_note_from_the_page_but_keeps_its_row(client, followed):
    advisor, _, project = followed
    note = _note(project, advisor, body="À supprimer")
    client.post(_notes_url(project, note), data=_edit(note, body="À supprimer, relu"))
    response = client.post(_notes_url(project, note, "delete"), data={"confirm": "1", "version": note.version})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/projects/{project.id}#notes-project-{project.id}")
    note = db.session.get(Note, note.id)
    assert note.deleted_at is not None and note.deleted_by_id == advisor.id
    assert _count(NoteRevision) == 1  # the history stays
    page = client.get(f"/projects/{project.id}").get_data(as_text=True)
    assert "Note deleted." in page and "À supprimer" not in page
    assert f'id="note-{note.id}"' not in page and f'href="#note-{note.id}"' not in page
    timeline = page[page.index(f'id="timeline-project-{project.id}"'):]
    assert "Note written" in timeline and "(deleted since)" in timeline
    assert "Note deleted" in timeline and advisor.name in timeline
    assert client.get(_notes_url(project, note), htmx=True).status_code == 404
    assert client.get(_notes_url(project, note, "edit")).status_code == 404
    # an edit sent late is told the note went (409, see below), never saved
    assert client.post(_notes_url(project, note), data=_edit(note)).status_code == 409
    assert client.post(_notes_url(project, note, "delete")).status_code == 404


def test_an_htmx_delete_answers_with_the_list_and_the_history(client, followed):
    advisor, _, project = followed
    kept = _note(project, advisor, body="À garder")
    gone = _note(project, advisor, body="À supprimer")
    response = client.post(_notes_url(project, gone, "delete"), data={"confirm": "1", "version": 1}, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert "HX-Request" in response.headers["Vary"]
    assert html.lstrip().startswith(f'<div id="note-list-project-{project.id}" class="note-list">')
    assert f'id="note-{kept.id}"' in html and f'id="note-{gone.id}"' not in html
    assert "À supprimer" not in html and "Note deleted." in html
    assert project_changed(response) and MESSAGE_OOB in html
    assert db.session.get(Note, gone.id).deleted_at is not None


# Reading: fragments and the timeline


def test_the_list_and_note_fragments_for_htmx_and_redirects_without(client, followed):
    advisor, _, project = followed
    note = _note(project, advisor)
    listing = client.get(_notes_url(project), htmx=True)
    assert listing.status_code == 200 and "HX-Request" in listing.headers["Vary"]
    assert listing.get_data(as_text=True).lstrip().startswith(
        f'<div id="note-list-project-{project.id}"')
    one = client.get(_notes_url(project, note), htmx=True)
    assert one.status_code == 200 and "HX-Request" in one.headers["Vary"]
    assert one.get_data(as_text=True).lstrip().startswith(f'<article id="note-{note.id}"')
    plain = client.get(_notes_url(project))
    assert plain.status_code == 303
    assert plain.headers["Location"].endswith(f"/projects/{project.id}#notes-project-{project.id}")
    plain_one = client.get(_notes_url(project, note))
    assert plain_one.status_code == 303
    assert plain_one.headers["Location"].endswith(f"/projects/{project.id}#note-{note.id}")


def test_staff_see_every_note_with_its_badge_author_and_date(client, followed):
    advisor, _, project = followed
    _note(project, advisor, body="Note interne", happened_on=date(2025, 3, 1))
    _note(project, advisor, body="Note partagée", visibility="shared",
          happened_on=date(2025, 3, 2))
    html = client.get(_notes_url(project), htmx=True).get_data(as_text=True)
    assert html.index("Note partagée") < html.index("Note interne")  # latest first
    assert '<span class="badge badge-internal">internal</span>' in html
    assert '<span class="badge badge-shared">shared</span>' in html
    assert "by Yann Le Goff" in html and "2 Mar 2025" in html


def test_the_timeline_has_one_entry_per_visible_note_and_one_per_deletion(app, followed):
    advisor, holder, project = followed
    internal = _note(project, advisor, body="Interne")
    shared = _note(project, advisor, body="Partagée", visibility="shared", kind="visit")
    deleted = _note(project, advisor, body="Supprimée", visibility="shared")
    gone_internal = _note(project, advisor, body="Interne supprimée")
    delete_note(deleted, advisor, seen_version=deleted.version)
    delete_note(gone_internal, advisor, seen_version=gone_internal.version)
    db.session.commit()
    with app.test_request_context():
        staff = queries.timeline_entries(advisor, project)
        holders = queries.timeline_entries(holder, project)
    assert sorted((e.kind, e.item.id) for e in staff) == sorted([
        ("note", internal.id), ("note", shared.id), ("note", deleted.id),
        ("note", gone_internal.id), ("note_deleted", deleted.id),
        ("note_deleted", gone_internal.id)])
    # A holder never learns that an internal note existed, nor that it was deleted.
    assert sorted((e.kind, e.item.id) for e in holders) == sorted([
        ("note", shared.id), ("note", deleted.id), ("note_deleted", deleted.id)])
    entry = next(e for e in holders if e.item.id == shared.id)
    assert (entry.kind, entry.template, entry.at) == ("note", "notes/_timeline_entry.html",
                                                       shared.created_at)
    entry = next(e for e in holders if e.kind == "note_deleted")
    assert (entry.template, entry.at) == ("notes/_timeline_deleted.html", deleted.deleted_at)


def test_the_project_timeline_shows_who_wrote_which_kind_of_note(client, followed):
    advisor, _, project = followed
    note = _note(project, advisor, kind="visit", visibility="shared")
    page = client.get(f"/projects/{project.id}").get_data(as_text=True)
    timeline = page[page.index(f'id="timeline-project-{project.id}"'):]
    assert f'<a href="#note-{note.id}">Note written</a> · Visit' in timeline
    assert "— Yann Le Goff" in timeline


def test_the_section_costs_the_same_statements_at_2_and_20_notes(app, followed):
    advisor, _, project = followed

    def cost() -> int:
        db.session.refresh(project), db.session.refresh(advisor)  # expired by the commits
        with app.test_request_context(), count_statements() as statements:
            context = {**queries.section(advisor, project),
                       **section_forms(advisor, project)}
            assert context["note_form"] is not None
            for note in context["notes"]:
                _ = note.author.name
                for revision in context["note_revisions"].get(note.id, []):
                    _ = revision.edited_by.name
        return len(statements)

    def add(n: int) -> None:
        for i in range(n):
            author = factories.user(role="advisor")
            note = _note(project, author, body=f"Note {i}")
            with app.test_request_context():
                update_note(db.session.get(Note, note.id), project, advisor, seen_version=1,
                            kind="call", happened_on=date(2025, 3, 1), body=f"Relue {i}",
                            visibility="internal")
            db.session.commit()

    add(2)
    small = cost()
    add(18)
    # 3: the notes, their revisions, and the note kinds the form offers (a table since the
    # reference lists, issue 13).
    assert cost() == small <= 3


# Who may do what


def test_holders_read_shared_notes_only(client, auth, followed):
    advisor, holder, project = followed
    internal = _note(project, advisor, body="Avis interne sur le projet")
    shared = _note(project, advisor, body="Compte rendu partagé", visibility="shared")
    _log_in_as(auth, holder)
    page = client.get(f"/projects/{project.id}").get_data(as_text=True)
    listing = client.get(_notes_url(project), htmx=True).get_data(as_text=True)
    for html in (page, listing):
        assert "Compte rendu partagé" in html and f'id="note-{shared.id}"' in html
        assert "Avis interne" not in html and f'id="note-{internal.id}"' not in html
        assert "badge-internal" not in html and "data-note-edit" not in html
    assert "note-form-project" not in page
    assert f'href="#note-{internal.id}"' not in page  # not in the timeline either
    assert client.get(_notes_url(project, shared), htmx=True).status_code == 200
    for url in (_notes_url(project, internal), _notes_url(project, internal, "edit")):
        assert client.get(url, htmx=True).status_code == 404
        assert client.get(url).status_code == 404


def test_holders_never_see_what_a_shared_note_said_while_it_was_internal(client, auth,
                                                                           followed):
    advisor, holder, project = followed
    note = _note(project, advisor, body="Doutes sur le porteur")
    client.post(_notes_url(project, note),
                data=_edit(note, body="Compte rendu pour Anne", visibility="shared"))
    _log_in_as(auth, holder)
    for html in (client.get(f"/projects/{project.id}").get_data(as_text=True),
                 client.get(_notes_url(project), htmx=True).get_data(as_text=True),
                 client.get(_notes_url(project, note), htmx=True).get_data(as_text=True)):
        assert "Compte rendu pour Anne" in html
        assert "Doutes sur le porteur" not in html and "note-revisions" not in html


def test_holders_cannot_write_edit_or_delete_notes(client, auth, followed):
    advisor, holder, project = followed
    internal = _note(project, advisor, body="Interne")
    shared = _note(project, advisor, body="Partagée", visibility="shared")
    _log_in_as(auth, holder)
    for htmx in (False, True):
        assert client.post(_notes_url(project), data=_data(), htmx=htmx).status_code == 403
        assert client.get(_notes_url(project, shared, "edit"), htmx=htmx).status_code == 403
        assert client.post(_notes_url(project, shared), data=_edit(shared, body="Piraté"),
                           htmx=htmx).status_code == 403
        assert client.post(_notes_url(project, shared, "delete"), htmx=htmx).status_code == 403
        # An internal note does not exist for them.
        assert client.post(_notes_url(project, internal), data=_edit(internal),
                           htmx=htmx).status_code == 404
        assert client.post(_notes_url(project, internal, "delete"),
                           htmx=htmx).status_code == 404
    assert _count(Note) == 2 and _count(NoteRevision) == 0
    assert _count(Note, Note.deleted_at.is_not(None)) == 0


def _every_route(project, note) -> list[tuple[str, str, dict | None]]:
    return [
        ("get", _notes_url(project), None),
        ("get", _notes_url(project, note), None),
        ("get", _notes_url(project, note, "edit"), None),
        ("post", _notes_url(project), _data()),
        ("post", _notes_url(project, note), _edit(note, body="Piraté")),
        ("post", _notes_url(project, note, "delete"), None),
    ]


@pytest.mark.parametrize("role", ["holder", "mentor"])
def test_other_holders_and_mentors_get_404_on_every_route(client, auth, followed, role):
    advisor, _, project = followed
    note = _note(project, advisor, body="Partagée", visibility="shared")
    outsider = factories.user(role=role)
    if role == "holder":
        factories.project(holders=[outsider])  # a holder, but of another project
    db.session.commit()
    _log_in_as(auth, outsider)
    for method, url, data in _every_route(project, note):
        for htmx in (False, True):
            response = getattr(client, method)(url, data=data, htmx=htmx)
            assert response.status_code == 404, (method, url, htmx)
            assert "Partagée" not in response.get_data(as_text=True)
    assert _count(Note) == 1 and db.session.get(Note, note.id).body == "Partagée"


def test_anonymous_visitors_are_sent_to_the_login_page(client, auth, followed):
    advisor, _, project = followed
    note = _note(project, advisor, visibility="shared")
    auth.logout()
    for method, url, data in _every_route(project, note):
        response = getattr(client, method)(url, data=data)
        assert response.status_code == 302, (method, url)
        assert "/auth/login" in response.headers["Location"]
    assert _count(Note) == 1


def test_a_note_of_another_project_is_not_found_through_this_one(client, followed):
    advisor, _, project = followed
    other = factories.project()
    db.session.commit()
    note = _note(other, advisor)
    for method, url, data in _every_route(project, note):
        if str(note.id) in url.removeprefix(_notes_url(project)):
            assert getattr(client, method)(url, data=data).status_code == 404, url
    assert db.session.get(Note, note.id).deleted_at is None
    assert client.get("/projects/999999/notes", htmx=True).status_code == 404


def test_an_advisor_may_not_change_a_colleagues_note(client, auth, followed):
    advisor, _, project = followed
    note = _note(project, advisor, body="Ma note")
    colleague = factories.user(role="advisor")
    db.session.commit()
    _log_in_as(auth, colleague)
    html = client.get(_notes_url(project), htmx=True).get_data(as_text=True)
    assert "Ma note" in html and "data-note-edit" not in html
    for htmx in (False, True):
        assert client.get(_notes_url(project, note, "edit"), htmx=htmx).status_code == 403
        assert client.post(_notes_url(project, note), data=_edit(note, body="Changée"),
                           htmx=htmx).status_code == 403
        assert client.post(_notes_url(project, note, "delete"), htmx=htmx).status_code == 403
    note = db.session.get(Note, note.id)
    assert note.body == "Ma note" and note.deleted_at is None
    # Colleagues still write their own notes on the project.
    assert client.post(_notes_url(project), data=_data()).status_code == 303


def test_a_manager_may_change_and_delete_anyones_note(client, auth, followed):
    advisor, _, project = followed
    note = _note(project, advisor, body="Note de Yann")
    manager = factories.user(role="manager")
    db.session.commit()
    _log_in_as(auth, manager)
    assert "data-note-edit" in client.get(_notes_url(project), htmx=True).get_data(as_text=True)
    assert client.get(_notes_url(project, note, "edit")).status_code == 200
    assert client.post(_notes_url(project, note),
                       data=_edit(note, body="Corrigée")).status_code == 303
    revision = db.session.scalar(select(NoteRevision))
    assert revision.edited_by_id == manager.id and revision.body == "Note de Yann"
    assert client.post(_notes_url(project, note, "delete"),
                       data={"version": 2, "confirm": "1"}).status_code == 303
    assert db.session.get(Note, note.id).deleted_by_id == manager.id


# Telling the holders


def test_a_shared_note_notifies_the_holders_in_app_and_by_email(app, client, followed):
    _, holder, project = followed
    quiet = factories.user(name="Paul Quiet")
    quiet.email_notifications = False
    db.session.add(ProjectHolder(project_id=project.id, user_id=quiet.id))
    db.session.commit()
    response = client.post(_notes_url(project), data=_data(visibility="shared"), htmx=True)
    assert response.status_code == 200
    response.close()  # the queued mail leaves once the response is closed
    db.session.expire_all()
    notifications = list(db.session.scalars(select(Notification).order_by(Notification.user_id)))
    assert [(n.user_id, n.kind, n.project_id) for n in notifications] == [
        (holder.id, NOTE_SHARED, project.id), (quiet.id, NOTE_SHARED, project.id)]
    mails = list(db.session.scalars(select(OutgoingMail)))
    assert [m.to for m in mails] == [holder.email]  # Paul turned e-mails off
    assert mails[0].sent_at is not None and "Épicerie vrac" in mails[0].subject
    sent = app.extensions["outbox"]
    assert [m["To"] for m in sent] == [holder.email]


def test_internal_notes_notify_no_one(client, followed):
    _, _, project = followed
    client.post(_notes_url(project), data=_data(visibility="internal"))
    assert _count(Notification) == 0 and _count(OutgoingMail) == 0


def test_sharing_an_internal_note_notifies_once(client, followed):
    advisor, holder, project = followed
    note = _note(project, advisor)
    assert _count(Notification) == 0
    client.post(_notes_url(project, note), data=_edit(note, visibility="shared"))
    assert [(n.user_id, n.kind) for n in db.session.scalars(select(Notification))] == [
        (holder.id, NOTE_SHARED)]
    note = db.session.get(Note, note.id)
    client.post(_notes_url(project, note), data=_edit(note, body="Complété"))
    assert _count(Notification) == 1  # already shared: no new notification


def test_a_refused_edit_notifies_no_one(client, followed):
    advisor, _, project = followed
    note = _note(project, advisor)
    stale = _edit(note, visibility="shared")
    client.post(_notes_url(project, note), data=_edit(note, body="Avant vous"))
    assert client.post(_notes_url(project, note), data=stale).status_code == 409
    assert _count(Notification) == 0 and _count(OutgoingMail) == 0

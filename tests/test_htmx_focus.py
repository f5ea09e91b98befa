"""Where the keyboard focus goes after each htmx action of the product (issue 9, part B).

Every ``hx-get``/``hx-post``/… of the templates is listed here with the way its answer
places the focus, so that a new action without one fails: the answer names an element
(``htmx.done``/``project_done``/``focus_on``: the ``focus-target`` event), the swapped
fragment carries an ``autofocus``, the answer sends the browser elsewhere, or nothing is
replaced under the user (a poll, a history reload, a list swapped beside the control).
"""

from __future__ import annotations

import inspect
import json
import re
from pathlib import Path

import pytest

from incubator.extensions import db

from . import factories

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = sorted((ROOT / "templates").rglob("*.html"))

#: The answer names the element to focus (and shows its message beside it).
NAMED = "named"
#: The swapped fragment carries ``autofocus`` (an editor opening in place).
AUTOFOCUS = "autofocus"
#: The answer is a redirection (``HX-Redirect``): a new page loads.
REDIRECT = "redirect"
#: Nothing the user is on is replaced (the reason says why).
UNTOUCHED = "untouched"

ACTIONS: dict[str, tuple[str, str]] = {
    "account.end_session": (NAMED, "the list of sessions, the message at its top"),
    "account.end_other_sessions": (NAMED, "the list of sessions, the message at its top"),
    "admin.clear_login_delay": (NAMED, "the section's heading, the message after it"),
    "admin.retry_outbox": (NAMED, "the outbox's heading, the message after it"),
    "admin.retention_settings": (REDIRECT, "a save reloads the page with its message and history; "
                                 "a refused one swaps the form, focus on its error summary"),
    "admin.pole": (REDIRECT, "a save reloads the page with its message; a refused one swaps "
                             "the form, its error summary or conflict notice first"),
    "admin.stage_add": (REDIRECT, "an added stage reloads the page at it; a refused one "
                                  "swaps the form, its error summary first"),
    "admin.stage_edit": (REDIRECT, "a save goes back to the stages; a refused one swaps the "
                                   "form, its error summary or conflict notice first"),
    "admin.stage_move": (NAMED, "the button pressed on the moved stage (the other one at an "
                                "end of the list); a refusal: its notice (autofocus)"),
    "admin.stage_retire": (NAMED, "the stage, now in the retired list; a refusal: its notice "
                                  "with the projects' links (autofocus)"),
    "admin.stage_restore": (NAMED, "the stage, back at the end of the list"),
    "admin.invite_again": (NAMED, "the invitations' heading, the message after it (a "
                                  "refusal: its message in the section)"),
    "admin.revoke": (NAMED, "the invitations' heading, the message after it (a refusal: its "
                            "message in the section)"),
    "admin.users": (UNTOUCHED, "the users table reloads itself after a change of invitations; "
                               "the focus stays on the invitations' heading"),
    "admin.hand_over_work": (NAMED, "the preview's heading; once done the section's heading "
                                    "with the message; a conflict: its message"),
    "board.move_form": (AUTOFOCUS, "the stage select of the move panel"),
    "board.move": (NAMED, "the card in its new place; leaving exit criteria unticked: the "
                          "question in the card's place names its heading"),
    "board.close": (NAMED, "board.js: the card next to it in its column (it left the page)"),
    "board.pause": (NAMED, "board.js: the card next to it in its column (it left the page)"),
    "board.card": (UNTOUCHED, "cancel: board.js focuses the card again (same id)"),
    "board.index": (UNTOUCHED, "filters: the board is swapped beside the filter form; "
                    "« show every card »: its link leaves, the first card takes the focus"),
    "board.column": (UNTOUCHED, "load more: also loads on scroll, the focus must not jump"),
    "board.changes": (UNTOUCHED, "the poll: skipped while the user is busy on the board"),
    "checklists.rename": (NAMED, "the criterion renamed (a refusal: the list with the form's "
                                 "error summary)"),
    "checklists.move": (NAMED, "the same arrow button, in the criterion's new place"),
    "checklists.set_active": (NAMED, "the criterion's Retire / Bring back button"),
    "checklists.tick": (NAMED, "the criterion's box (to undo at once)"),
    "documents.upload": (NAMED, "the new document in the list"),
    "documents.delete": (NAMED, "the heading of the documents section"),
    "imports.preview": (UNTOUCHED, "the mapping, the outcome filters and the pages: the "
                                   "preview is swapped beside the control"),
    "members.index": (UNTOUCHED, "live search and filters: the results are swapped beside the "
                               "form (the pagination's links too: the focus stays on the link)"),
    "partners.index": (UNTOUCHED, "live search and filters: the results are swapped beside "
                                  "the form (the pagination's links too)"),
    "mentoring.new": (UNTOUCHED, "live search of the directory: the results are swapped "
                                "below the search field"),
    "committees.index": (UNTOUCHED, "live search: the sittings are swapped beside the form "
                                    "(the pagination's links too)"),
    "committees.candidates": (UNTOUCHED, "live search of projects: the results are swapped "
                                         "below the search field"),
    "mentoring.end": (NAMED, "the heading of the mentoring section"),
    "mentoring.hours": (NAMED, "the mentorship the hours were logged on"),
    "next_steps.add": (NAMED, "the new step in the list"),
    "next_steps.done": (NAMED, "the step's check button (to undo at once)"),
    "next_steps.undo": (NAMED, "the step's check button"),
    "notes.create": (NAMED, "the new note in the list"),
    "notes.edit": (AUTOFOCUS, "the body of the note's edit form"),
    "notes.update": (NAMED, "the note saved"),
    "notes.show": (NAMED, "cancel: the note's Edit link"),
    "notes.delete": (NAMED, "the heading of the notes section"),
    "notifications.bell": (UNTOUCHED, "the bell's poll: 204 while unchanged"),
    "notifications.menu": (NAMED, "the bell's link (the menu opens or closes below it)"),
    "notifications.open_link": (REDIRECT, "the project page loads"),
    "notifications.mark_all_read": (NAMED, "the list or the menu, the message at its top"),
    "notifications.preferences": (NAMED, "the preferences section, the message at its top"),
    "notifications.index": (NAMED, "another page of the list: the list"),
    "projects.set_advisor": (NAMED, "the advisor block, the message at its top"),
    "projects.edit": (AUTOFOCUS, "GET: the title of the editor; POST: the heading"),
    "projects.description": (NAMED, "cancel: the 'Edit the description' link"),
    "projects.add_holder_route": (NAMED, "the holders block, the message at its top"),
    "projects.remove_holder_route": (NAMED, "the holders block, the message at its top"),
    "projects.history": (UNTOUCHED, "the history reloads on project-changed"),
    "referrals.delete": (NAMED, "the heading of the referrals section"),
    "supports.status": (NAMED, "the support whose status moved"),
    "supports.delete": (NAMED, "the heading of the supports section"),
    "accompaniment.log": (NAMED, "the section's total (it changed), the message beside it"),
    "accompaniment.delete": (NAMED, "the heading of the accompaniment section"),
    "accompaniment.index": (NAMED, "show all: the list of entries (the link is gone)"),
    "report.index": (UNTOUCHED, "the year: the report is swapped beside the form"),
}
ACTIONS.update({  # groups
    "groups.index": (UNTOUCHED, "live search and filters: the results are swapped beside the "
                                "form (the pagination's links too)"),
    "groups.participants": (UNTOUCHED, "live search: the results are swapped below the "
                                       "search field"),
})
ACTIONS.update({  # territory key figures
    "territory.index": (UNTOUCHED, "the year selector: the figures are swapped beside it"),
})
ACTIONS.update({  # reference lists (issue 13, part C)
    "lists.add": (NAMED, "the new item's row, the message beside it"),
    "lists.rename": (NAMED, "the renamed item's row; a refused one its form's errors"),
    "lists.move": (NAMED, "the same arrow button of the moved item, to press it again"),
    "lists.set_active": (NAMED, "the same retire / bring back button of the item"),
    "lists.delete": (NAMED, "the list, the message beside it (the row is gone)"),
})
ACTIONS.update({  # cohorts (issue 13, part D)
    "cohorts.show": (UNTOUCHED, "live search of projects: the results are swapped below the "
                                "search field"),
    "cohorts.add_project": (NAMED, "the cohort's projects, the message at their top"),
    "cohorts.remove_project": (NAMED, "the cohort's projects, the message at their top"),
    "cohorts.join": (NAMED, "the project's cohorts section, the message at its top"),
    "cohorts.leave": (NAMED, "the project's cohorts section, the message at its top"),
})
ACTIONS.update({  # the account page (issue 14)
    "account.rename": (NAMED, "the identity section, the message at its top (a refusal: its "
                              "error summary or conflict notice)"),
    "account.request_email_change": (NAMED, "the e-mail section, now showing the change "
                                            "waiting (a refusal: its error summary)"),
    "account.cancel_email_change": (NAMED, "the e-mail section, the message at its top"),
    "account.language": (REDIRECT, "the page reloads in the language chosen"),
    "account.notifications": (NAMED, "the notifications section, the message at its top"),
    "account.request_closure": (NAMED, "the closure section, now showing the request (a "
                                       "refusal: its error summary)"),
    "account.cancel_closure": (NAMED, "the closure section, the message at its top"),
    "closures.answer": (NAMED, "the request answered, the message at its top (a conflict: "
                               "its notice, autofocus)"),
})
ACTIONS.update({  # pipeline review
    "pipeline.index": (UNTOUCHED, "filters: the figures are swapped below the form, the focus "
                                  "stays in the field changed"),
})

#: hx attributes whose URL is not a url_for in the attribute itself.
INDIRECT = {"show_all_url": ["board.index"], "kit.move_form_url(pid)": ["board.move_form"],
            # the pagination macro: its htmx callers
            "url": ["notifications.index", "members.index", "imports.preview",
                    "committees.index"]}

HX = re.compile(r'hx-(?:get|post|put|patch|delete)="\{\{\s*(.+?)\s*\}\}"')
URL_FOR = re.compile(r"url_for\('([\w.]+)'")
SET = re.compile(r"\{%-?\s*set\s+(\w+)\s*=\s*(url_for\(.+?)%\}")
ENDPOINT = re.compile(r"'(\w+\.\w+)'")


#: The confirmation macro posts with htmx to its ``action`` when its caller gives a ``target``.
CONFIRM_MACRO = "macros/confirm.html"
CONFIRM_CALL = re.compile(r"confirm_action\((.+?)\)\s*\}\}", re.S)


def htmx_actions() -> dict[str, list[str]]:
    """Endpoint → the templates that call it with an hx attribute (or through the
    confirmation macro with a ``target``)."""
    found: dict[str, list[str]] = {}
    for path in TEMPLATES:
        text = path.read_text(encoding="utf-8")
        variables = {name: ENDPOINT.findall(expr) for name, expr in SET.findall(text)}
        if path.as_posix().endswith(CONFIRM_MACRO):
            continue
        calls = [call for call in CONFIRM_CALL.findall(text) if "target=" in call]
        exprs = HX.findall(text)
        for call in calls:
            first = call.split(",", 1)[0].strip()
            exprs.append(first if first in variables else call)
        for expr in exprs:
            if expr.startswith("url_for("):
                endpoints = URL_FOR.findall(expr)
            elif variables.get(expr):  # set in the same template, before INDIRECT's names
                endpoints = variables[expr]
            elif expr in INDIRECT:
                endpoints = INDIRECT[expr]
            else:
                endpoints = [f"<unknown: {expr}>"]
            for endpoint in endpoints:
                found.setdefault(endpoint, []).append(path.relative_to(ROOT).as_posix())
    return found


def test_every_htmx_action_says_where_the_focus_goes():
    missing = {e: where for e, where in htmx_actions().items() if e not in ACTIONS}
    assert missing == {}, "declare in ACTIONS where the focus goes after these actions"


def test_the_list_has_no_action_that_is_gone():
    assert sorted(set(ACTIONS) - set(htmx_actions())) == []


def test_actions_that_name_the_focus_answer_through_the_helpers_that_do(app):
    """Their routes answer with done/project_done/focus_on (or the board's placed)."""
    helpers = re.compile(r"\b(done|project_done|focus_on|_holders_done|_done|_check|_ended|"
                         r"answers\.changed|_status_change)\(")
    offenders = []
    for endpoint, (how, _why) in ACTIONS.items():
        if how != NAMED:
            continue
        source = inspect.getsource(app.view_functions[endpoint])
        if not helpers.search(source):
            offenders.append(endpoint)
    assert offenders == []


def test_editors_opened_in_place_carry_an_autofocus():
    for name in ("board/_move_panel.html", "notes/_edit_form.html",
                 "projects/_description_form.html"):
        assert "autofocus=" in (ROOT / "templates" / name).read_text(encoding="utf-8")


def _focus(response) -> str:
    return json.loads(response.headers["HX-Trigger-After-Settle"])["focus-target"]["id"]


@pytest.fixture
def project_page(client, login):
    advisor = login("advisor")
    project = factories.project(title="Ferme", advisor=advisor)
    db.session.commit()
    return project


def test_adding_a_note_focuses_the_new_note_with_its_message(client, project_page):
    project = project_page
    page = client.get(f"/projects/{project.id}").get_data(as_text=True)
    form = page[page.index('id="note-form-'):]
    token = re.search(r'name="form_token" value="([^"]+)"', form).group(1)
    response = client.post(f"/projects/{project.id}/notes", htmx=True, data={
        "kind": "meeting", "happened_on": "2026-11-02", "body": "Rendez-vous",
        "visibility": "internal", "form_token": token})
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    note_id = re.search(r'id="(note-\d+)"', response.get_data(as_text=True)).group(1)
    assert _focus(response) == note_id
    assert f'data-near="{note_id}">' in response.get_data(as_text=True)
    # Without htmx: the message flashed, a 303 to the note.
    response = client.post(f"/projects/{project.id}/notes", data={
        "kind": "meeting", "happened_on": "2026-11-02", "body": "Autre", "visibility": "internal",
        "form_token": token})
    assert "HX-Trigger-After-Settle" not in response.headers


def test_closing_the_description_editor_focuses_its_edit_link(client, project_page):
    project = project_page
    response = client.get(f"/projects/{project.id}/description", htmx=True)
    assert response.status_code == 200
    assert _focus(response) == f"description-edit-project-{project.id}"
    assert f'id="description-edit-project-{project.id}"' in response.get_data(as_text=True)
    response = client.get(f"/projects/{project.id}/description")
    assert response.status_code == 303 and "HX-Trigger-After-Settle" not in response.headers


def test_closing_a_card_leaves_the_focus_to_the_board_with_the_message_marked_near(client,
                                                                                   login):
    """The card left the page: board.js, which knows the cards the page has loaded, gives
    the focus to the card next to it and shows the marked message there."""
    login("advisor")
    project = factories.project(title="Conserverie", stage_position=2)
    db.session.commit()
    data = {"outcome": "redirected", "reason": "Orienté vers le DLA",
            "version": project.version, "new_partner": "DLA 35"}
    response = client.post(f"/projects/{project.id}/close", htmx=True, data=data)
    assert response.status_code == 200
    assert "focus-target" not in response.headers.get("HX-Trigger-After-Settle", "")
    html = response.get_data(as_text=True)
    assert 'data-near="board">“Conserverie” is closed.' in html
    # A refusal is not a confirmation: it stays in the message area, near nothing.
    response = client.post(f"/projects/{project.id}/close", htmx=True, data=data)
    assert response.status_code == 409
    assert "data-near" not in response.get_data(as_text=True)


def test_a_refused_close_shows_the_summary_linking_to_the_reason(client, login):
    login("advisor")
    project = factories.project(title="Conserverie")
    db.session.commit()
    response = client.post(f"/projects/{project.id}/close", htmx=True, data={
        "outcome": "abandoned", "reason": "", "version": project.version})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    # (The label may say "required": part A of issue 9.)
    assert re.search(rf'<a href="#move-project-{project.id}-close-reason">Reason[^<:]*: Say in '
                     r"a few words why the project is closed.</a>", html)
    assert f'id="move-project-{project.id}-close-reason"' in html

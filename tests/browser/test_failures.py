"""A failed request never leaves the page showing what the server does not hold, and every
change of the project page refreshes its history.

Pages of failing requests are opened beside the watched one (``context.new_page()``): htmx
rightly logs a failed request as a console error there."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select, update

from incubator.extensions import db
from incubator.models import NextStep, Note, Project, Stage
from incubator.next_steps.queries import today

from .. import factories
from .conftest import log_in, slow_requests
from .test_board import board, drag  # noqa: F401 (a fixture)
from .test_documents import PDF


def _quiet_page(page: Page, live_server: str, email: str = "yann@cades.example",
                lands_on: str = r"/board$") -> Page:
    other = page.context.new_page()
    other.set_default_timeout(10_000)
    log_in(other, live_server, email, lands_on=lands_on)
    return other


def _fail_with(status: int):
    return lambda route: route.fulfill(status=status, body="", content_type="text/html")


# For each failure: how to make the next move fail, run once the board is shown.
FAILURES = {
    "network down": lambda page, app, ids: page.route("**/move", lambda route: route.abort()),
    "403": lambda page, app, ids: page.route("**/move", _fail_with(403)),
    "500": lambda page, app, ids: page.route("**/move", _fail_with(500)),
    "409 (a colleague moved it)": lambda page, app, ids: _bump_version(app, ids["garage"]),
    "422 (the column was retired)": lambda page, app, ids: _retire(app, ids["target"]),
}
# What the message says of the change when the app's own answer did not come: a proxy's 4xx
# refused it before the app saw it; a lost connection or a proxy's 5xx may come after the
# app saved it (issue 15: never "nothing was changed" then).
SAYS = {
    "network down": "a pu être enregistrée ou non",
    "403": "Rien n’a été modifié",
    "500": "a pu être enregistrée ou non",
}


def _bump_version(app, project_id: int) -> None:
    with app.app_context():
        db.session.execute(update(Project).where(Project.id == project_id)
                           .values(version=Project.version + 1))
        db.session.commit()


def _retire(app, stage_id: int) -> None:
    with app.app_context():
        db.session.execute(update(Stage).where(Stage.id == stage_id).values(active=False))
        db.session.commit()


@pytest.mark.parametrize("failure", list(FAILURES))
def test_a_failed_drop_puts_the_card_back_and_says_why(page: Page, live_server, live_app,
                                                       board, failure):  # noqa: F811
    page = _quiet_page(page, live_server)
    garage = board["projects"]["Garage solidaire"]
    first, second = (f"#cards-stage-{board['stages'][n]}" for n in (1, 2))
    expect(page.locator(f"{first} #project-{garage}")).to_be_visible()
    FAILURES[failure](page, live_app, {"garage": garage, "target": board["stages"][2]})
    drag(page, page.locator(f"#project-{garage}"), page.locator(f"{second} .card").first)
    expect(page.locator("#messages p, #messages .error-fragment")).not_to_have_count(0)
    if failure in SAYS:
        expect(page.locator("#messages")).to_contain_text(SAYS[failure])
    expect(page.locator(f"{first} #project-{garage}")).to_be_visible()
    expect(page.locator(f"{second} #project-{garage}")).to_have_count(0)
    expect(page.locator(f"#project-{garage}")).to_have_count(1)
    with live_app.app_context():
        assert db.session.get(Project, garage).stage_id == board["stages"][1]


@pytest.fixture
def followed(live_app):
    with live_app.app_context():
        advisor = factories.user(role="advisor", email="yann@cades.example", name="Yann")
        project = factories.project(title="Garage solidaire", advisor=advisor,
                                    holders=[factories.user(name="Anne Briand")])
        db.session.commit()
        return project.id, (today() + timedelta(days=5)).isoformat()


def test_the_history_follows_an_upload_and_a_ticked_step(page: Page, live_server, followed):
    project_id, due = followed
    log_in(page, live_server, "yann@cades.example")
    page.goto(f"{live_server}/projects/{project_id}")
    history = page.locator(f"#timeline-project-{project_id}")

    form = page.locator(f"#document-form-project-{project_id}")
    form.locator("#document-file").set_input_files(
        {"name": "Budget.pdf", "mimeType": "application/pdf", "buffer": PDF})
    form.locator("button[type=submit]").click()
    expect(history).to_contain_text("Budget.pdf")

    page.locator("#next-step-title").fill("Appeler la mairie")
    page.locator("#next-step-due").fill(due)
    page.locator(".next-step-form button[type=submit]").click()
    step = page.locator(f"#next-steps-open-project-{project_id} .next-step")
    expect(step).to_have_count(1)
    step.locator(".step-toggle").click()
    expect(history.locator("li", has_text="Appeler la mairie")).not_to_have_count(0)
    expect(page.locator("#messages")).to_contain_text("Appeler la mairie")


def test_a_step_ticked_while_the_history_reloads_still_shows_in_it(page: Page, live_server,
                                                                   followed, monkeypatch):
    """The tick's "project-changed" comes while the history is still reloading after the new
    step (a slow server, the history read before the tick): it ends up with the tick all the
    same (the second reload once ran on the replaced section, and htmx dropped it)."""
    from incubator.project_page import routes

    def slow_timeline(*args, **kwargs):
        entries = timeline(*args, **kwargs)
        time.sleep(0.6)
        return entries

    timeline = routes.timeline
    monkeypatch.setattr(routes, "timeline", slow_timeline)
    project_id, due = followed
    log_in(page, live_server, "yann@cades.example")
    page.goto(f"{live_server}/projects/{project_id}")
    history = page.locator(f"#timeline-project-{project_id}")
    page.locator("#next-step-title").fill("Appeler la mairie")
    page.locator("#next-step-due").fill(due)
    with page.expect_request("**/history"):
        page.locator(".next-step-form button[type=submit]").click()
    page.locator(f"#next-steps-open-project-{project_id} .next-step .step-toggle").click()
    expect(history.locator("li", has_text="Appeler la mairie")).not_to_have_count(0)
    expect(history).to_have_count(1)


def test_a_tick_answered_after_the_list_was_replaced_still_shows(page: Page, live_server,
                                                                 followed, live_app,
                                                                 monkeypatch):
    """The tick's answer arrives after a step added meanwhile replaced the whole list (a slow
    network held the tick): the ticked step shows done, as saved, not open."""
    project_id, due = followed
    with live_app.app_context():
        step = NextStep(project_id=project_id, title="Appeler la mairie",
                        due_on=today() + timedelta(days=3))
        db.session.add(step)
        db.session.commit()
        step_id = step.id
    slow_requests(monkeypatch, live_app, "/done", 1.0)  # the add is answered first
    log_in(page, live_server, "yann@cades.example")
    page.goto(f"{live_server}/projects/{project_id}")
    toggle = page.locator(f"#next-step-{step_id} .step-toggle")
    toggle.click()
    page.locator("#next-step-title").fill("Relancer la banque")
    page.locator("#next-step-due").fill(due)
    page.locator(".next-step-form button[type=submit]").click()
    expect(page.locator(".next-step", has_text="Relancer la banque")).to_have_count(1)
    expect(page.locator(f"#next-step-{step_id} .step-toggle")).to_have_attribute(
        "aria-checked", "true")
    expect(page.locator(f"#next-step-{step_id}")).to_have_count(1)
    with live_app.app_context():
        assert db.session.get(NextStep, step_id).done_at is not None


def test_a_failed_history_reload_leaves_the_message_of_the_saved_change(page: Page,
                                                                        live_server, followed):
    """The history's reload after a change is not the user's doing: when it fails (a proxy's
    500, the network), the page keeps saying the change was saved, never "Nothing was
    changed"."""
    project_id, due = followed
    page = _quiet_page(page, live_server)
    page.goto(f"{live_server}/projects/{project_id}")
    messages = page.locator("#messages")
    for title, failure in (("Appeler la mairie", _fail_with(500)),
                           ("Relancer la banque", lambda route: route.abort())):
        page.unroute("**/history")
        page.route("**/history", failure)
        page.locator("#next-step-title").fill(title)
        page.locator("#next-step-due").fill(due)
        with page.expect_request("**/history"):
            page.locator(".next-step-form button[type=submit]").click()
        expect(messages).to_contain_text(title)
        page.wait_for_timeout(300)  # the failed reload's answer has been handled by now
        expect(messages).to_contain_text(title)
        expect(messages).not_to_contain_text("Rien n’a été modifié")
        expect(messages).not_to_contain_text("joindre le serveur")


def test_a_slow_request_shows_its_button_busy_until_the_answer(page: Page, live_server,
                                                               followed, monkeypatch):
    """On a slow network or server the button that sent the form says it is under way
    (aria-busy: Pico's spinner, announced as busy) until the answer is in."""
    from incubator.next_steps import routes as step_routes

    def slow_add_step(*args, **kwargs):
        time.sleep(0.8)
        return add_step(*args, **kwargs)

    add_step = step_routes.services.add_step
    monkeypatch.setattr(step_routes.services, "add_step", slow_add_step)
    project_id, due = followed
    log_in(page, live_server, "yann@cades.example")
    page.goto(f"{live_server}/projects/{project_id}")
    page.locator("#next-step-title").fill("Appeler la mairie")
    page.locator("#next-step-due").fill(due)
    button = page.locator(".next-step-form button[type=submit]")
    button.click()
    expect(button).to_have_attribute("aria-busy", "true")
    expect(page.locator(f"#next-steps-open-project-{project_id} .next-step")).to_have_count(1)
    expect(page.locator("[aria-busy]")).to_have_count(0)


def test_a_form_whose_request_fails_keeps_what_was_typed(page: Page, live_server, followed):
    project_id, _due = followed
    page = _quiet_page(page, live_server)
    page.goto(f"{live_server}/projects/{project_id}")
    page.route("**/notes", _fail_with(502))  # a proxy's error page, not the app's
    page.locator(f"#notes-project-{project_id} details.note-new > summary").click()
    body = page.locator(f"#new-note-project-{project_id}-body")
    body.fill("Rencontre avec Anne.")
    page.locator("[data-note-submit]").click()
    expect(page.locator("#messages")).to_contain_text("erreur 502")
    expect(page.locator("#messages")).to_contain_text("a pu être enregistrée ou non")
    expect(body).to_have_value("Rencontre avec Anne.")


def test_a_note_typed_before_logging_in_again_elsewhere_is_sent_again(page: Page, live_server,
                                                                      live_app, followed):
    project_id, _due = followed
    first = _quiet_page(page, live_server)
    first.goto(f"{live_server}/projects/{project_id}")
    first.locator(f"#notes-project-{project_id} details.note-new > summary").click()
    body = first.locator(f"#new-note-project-{project_id}-body")
    body.fill("Rencontre avec Anne au garage.")

    # In another tab of the same browser: log out, then log in again.
    second = page.context.new_page()
    second.goto(f"{live_server}/board")
    second.locator("form[action$='/auth/logout']").evaluate("form => form.submit()")
    expect(second.get_by_role("link", name="Se connecter")).to_be_visible()
    log_in(second, live_server, "yann@cades.example")

    first.locator("[data-note-submit]").click()
    message = first.locator("#messages")
    expect(message).to_contain_text("envoyez-le à nouveau")
    expect(body).to_have_value("Rencontre avec Anne au garage.")
    with live_app.app_context():
        assert db.session.scalar(select(Note)) is None
    message.get_by_role("button", name="Envoyer à nouveau").click()
    expect(first.locator(f"#note-list-project-{project_id} article.note")).to_have_count(1)
    expect(first.locator("#messages")).to_contain_text("Note")
    with live_app.app_context():
        assert db.session.scalar(select(Note)).body == "Rencontre avec Anne au garage."


def test_without_javascript_a_note_typed_before_logging_in_again_elsewhere_is_sent_again(
        browser, live_server, live_app, followed):
    """No htmx to keep the page: the refused form comes back as a page showing what was
    typed, with a button that sends it again under the new session."""
    project_id, _due = followed
    context = browser.new_context(java_script_enabled=False, locale="fr-FR",
                                  timezone_id="Europe/Paris")
    context.set_default_timeout(10_000)
    try:
        first = context.new_page()
        log_in(first, live_server, "yann@cades.example")
        first.goto(f"{live_server}/projects/{project_id}")
        first.locator(f"#notes-project-{project_id} details.note-new > summary").click()
        first.locator(f"#new-note-project-{project_id}-body").fill(
            "Rencontre avec Anne au garage.\nÀ rappeler lundi.")

        second = context.new_page()
        second.goto(f"{live_server}/board")
        second.locator("form[action$='/auth/logout'] button").dispatch_event("click")
        expect(second.get_by_role("link", name="Se connecter")).to_be_visible()
        log_in(second, live_server, "yann@cades.example")

        first.locator("[data-note-submit]").click()
        expect(first.locator("main")).to_contain_text("envoyez-le à nouveau")
        expect(first.locator(".resend-value")).to_have_text(
            "Rencontre avec Anne au garage.\nÀ rappeler lundi.")
        with live_app.app_context():
            assert db.session.scalar(select(Note)) is None
        first.get_by_role("button", name="Envoyer à nouveau").click()
        expect(first).to_have_url(re.compile(rf"/projects/{project_id}#note-\d+$"))
        with live_app.app_context():
            assert db.session.scalar(select(Note)).body == (
                "Rencontre avec Anne au garage.\r\nÀ rappeler lundi.")
    finally:
        context.close()


def test_a_move_while_the_database_is_down_says_so_and_puts_the_card_back(
        page: Page, live_server, live_app, board):  # noqa: F811
    """The database out of reach (issue 15): the 503 fragment lands in the message area, in
    French, and the card goes back where it was."""
    from sqlalchemy import event
    from sqlalchemy.exc import OperationalError

    page = _quiet_page(page, live_server)
    garage = board["projects"]["Garage solidaire"]
    first, second = (f"#cards-stage-{board['stages'][n]}" for n in (1, 2))
    expect(page.locator(f"{first} #project-{garage}")).to_be_visible()

    def refuse(conn, cursor, statement, *args):
        raise OperationalError(statement, {}, Exception("server closed the connection"),
                               connection_invalidated=True)

    with live_app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", refuse)
    try:
        drag(page, page.locator(f"#project-{garage}"), page.locator(f"{second} .card").first)
        expect(page.locator("#messages .error-fragment")).to_contain_text("Service indisponible")
        expect(page.locator("#messages")).to_contain_text("Rien n’a été enregistré")
        expect(page.locator(f"{first} #project-{garage}")).to_be_visible()
    finally:
        event.remove(engine, "before_cursor_execute", refuse)

"""A manager keeps a reference list in Chromium (/admin/lists/themes): moves a theme with
the keyboard (the focus stays on the arrow pressed, so pressing again moves it again), adds
one, retires it; axe finds nothing on the page before and after."""

from __future__ import annotations

from playwright.sync_api import Page, expect
from sqlalchemy import select

from incubator.extensions import db
from incubator.models import Theme

from .. import factories
from .conftest import axe_violations, log_in, press_enter_on

IDLE = "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')"


def _order(live_app) -> list[str]:
    with live_app.app_context():
        return list(db.session.scalars(select(Theme.name).order_by(Theme.position, Theme.id)))


def test_a_manager_orders_adds_and_retires_themes_by_keyboard(page: Page, live_server,
                                                              live_app):
    with live_app.app_context():
        factories.user(role="manager", email="claire@cades.example", name="Claire Rouxel")
        db.session.commit()
        first, second = list(db.session.scalars(
            select(Theme).order_by(Theme.position).limit(2)))
        first_id, first_name, second_name = first.id, first.name, second.name
    log_in(page, live_server, "claire@cades.example")
    page.goto(live_server + "/admin/lists/themes")
    expect(page.get_by_role("heading", name="Filières", exact=True)).to_be_visible()
    assert axe_violations(page) == []

    # Down twice with Enter: the focus stays on the same arrow after each swap.
    page.evaluate("window.notReloaded = true")
    press_enter_on(page, page.locator(f"#move-down-theme-{first_id}"))
    page.wait_for_function(IDLE)
    expect(page.locator(f"#move-down-theme-{first_id}")).to_be_focused()
    expect(page.locator("#messages")).to_contain_text("déplacé")
    page.wait_for_function(IDLE)
    page.keyboard.press("Enter")
    page.wait_for_function(IDLE)
    expect(page.locator(f"#move-down-theme-{first_id}")).to_be_focused()
    assert page.evaluate("window.notReloaded === true")
    assert _order(live_app)[:3][2] == first_name and _order(live_app)[0] == second_name
    rows = page.locator("#reference-list tbody tr th")
    expect(rows.nth(2)).to_contain_text(first_name)

    # Add a theme: it comes last, the list swapped in place.
    page.locator("#name").fill("Économie de la mer")
    page.get_by_role("button", name="Ajouter", exact=True).click()
    expect(rows.last).to_contain_text("Économie de la mer")
    assert axe_violations(page) == []

    # Retire it: marked retired, the button now brings it back, the focus on it.
    retire = page.get_by_role("button", name="Retirer Économie de la mer")
    press_enter_on(page, retire)
    page.wait_for_function(IDLE)
    expect(page.get_by_role("button", name="Rétablir Économie de la mer")).to_be_focused()
    expect(rows.last).to_contain_text("retiré")
    assert axe_violations(page) == []


def test_the_committees_criteria_button_leads_to_the_list_where_an_unscored_one_is_deleted(
        page: Page, live_server, live_app):
    """« Critères » on /committees opens /admin/lists/criteria (the only editor); the former
    URL redirects there; a criterion never scored is deleted after the confirmation."""
    from incubator.lists import services as lists
    from incubator.models import CommitteeCriterion

    with live_app.app_context():
        manager = factories.user(role="manager", email="claire@cades.example",
                                 name="Claire Rouxel")
        db.session.flush()
        added = lists.add_item(lists.LISTS["criteria"], manager, name="Coquille à effacer")
        db.session.commit()
        added_id = added.id
    log_in(page, live_server, "claire@cades.example")
    page.goto(live_server + "/committees")
    page.get_by_role("button", name="Critères", exact=True).click()  # a link styled as one
    expect(page).to_have_url(live_server + "/admin/lists/criteria")
    expect(page.get_by_role("heading", name="Critères des comités", exact=True)).to_be_visible()
    page.goto(live_server + "/committees/criteria")
    expect(page).to_have_url(live_server + "/admin/lists/criteria")
    assert axe_violations(page) == []

    delete = page.get_by_role("button", name="Supprimer Coquille à effacer")
    press_enter_on(page, delete)
    confirm = page.locator(f"#committee-criterion-{added_id} [data-confirm-yes]")
    expect(confirm).to_be_visible()
    expect(page.locator(f"#committee-criterion-{added_id}")).to_contain_text("Il n’a jamais servi")
    press_enter_on(page, confirm)
    page.wait_for_function(IDLE)
    expect(page.locator(f"#committee-criterion-{added_id}")).to_have_count(0)
    expect(page.locator("#messages")).to_contain_text("supprimé")
    assert axe_violations(page) == []
    with live_app.app_context():
        assert db.session.get(CommitteeCriterion, added_id) is None

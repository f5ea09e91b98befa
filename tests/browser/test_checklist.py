"""Exit checklists in Chromium: an advisor ticks a criterion on the project page (htmx), sees
it ticked with their name after a reload; then a move on the board with a criterion unticked
asks first (drag and drop: Cancel puts the card back; the keyboard's move control: Confirm
moves and records the criterion)."""

from __future__ import annotations

from playwright.sync_api import Page, expect
from sqlalchemy import select

from incubator.checklists.services import add_criterion
from incubator.extensions import db
from incubator.models import StageMove, StageMoveUntickedCriterion

from .. import factories
from .conftest import axe_violations, log_in
from .test_board import drag, stage_of
from .test_keyboard import wait_idle


def _setup(live_app) -> dict:
    with live_app.app_context():
        manager = factories.user(role="manager", email="claire@cades.example")
        advisor = factories.user(role="advisor", email="yann@cades.example",
                                 name="Yann Le Goff")
        garage = factories.project(title="Garage solidaire", advisor=advisor)
        epicerie = factories.project(title="Épicerie vrac", advisor=advisor)
        factories.project(title="Recyclerie", stage_position=2, advisor=advisor)
        stage1 = factories.stage(1)
        first = add_criterion(manager, stage1, "Collectif constitué", "Group formed")
        second = add_criterion(manager, stage1, "Besoin du territoire vérifié",
                               "Local need checked")
        db.session.commit()
        return {"garage": garage.id, "epicerie": epicerie.id, "first": first.id,
                "second": second.id, "stages": {s.position: s.id for s in factories.stages()}}


def test_an_advisor_ticks_a_criterion_then_a_move_asks_first(page: Page, live_server,
                                                              live_app):
    data = _setup(live_app)
    log_in(page, live_server, "yann@cades.example")
    url = f"{live_server}/projects/{data['garage']}"
    page.goto(url)
    page.evaluate("window.notReloaded = true")
    box = page.locator(f"#tick-stage-criterion-{data['first']}")
    expect(box).to_have_attribute("aria-checked", "false")
    box.click()
    wait_idle(page)
    box = page.locator(f"#tick-stage-criterion-{data['first']}")
    expect(box).to_have_attribute("aria-checked", "true")
    expect(page.locator(f"#check-stage-criterion-{data['first']}")).to_contain_text(
        "Yann Le Goff")
    expect(box).to_be_focused()  # the focus stays on the box
    assert page.evaluate("window.notReloaded") is True
    assert axe_violations(page) == []

    page.reload()
    expect(page.locator(f"#tick-stage-criterion-{data['first']}")).to_have_attribute(
        "aria-checked", "true")
    expect(page.locator(f"#check-stage-criterion-{data['first']}")).to_contain_text(
        "coché par Yann Le Goff")
    expect(page.locator(f"#timeline-project-{data['garage']}")).to_contain_text(
        "Critère coché")

    # Drag and drop with a criterion unticked: the question in the card's place; Cancel
    # puts the card back in its column, nothing moved.
    page.goto(f"{live_server}/board")
    garage = page.locator(f"#project-{data['garage']}")
    target = page.locator(f"#cards-stage-{data['stages'][2]} .card").first
    drag(page, garage, target)
    question = page.locator(f"#project-{data['garage']}.leave-unticked")
    expect(question).to_contain_text("Besoin du territoire vérifié")
    expect(question).not_to_contain_text("Collectif constitué")
    assert axe_violations(page) == []
    question.get_by_role("button", name="Annuler").click()
    wait_idle(page)
    expect(page.locator(f"#cards-stage-{data['stages'][1]} #project-{data['garage']}")
           ).to_be_visible()
    assert stage_of(live_app, data["garage"]) == data["stages"][1]

    # The keyboard's move control: the same question; Confirm moves and records.
    page.locator(f"#project-{data['epicerie']} .card-move").click()
    wait_idle(page)
    page.locator(f"#move-project-{data['epicerie']}-stage").select_option(
        str(data["stages"][2]))
    page.locator(f"#project-{data['epicerie']} .move-form button[type=submit]").click()
    wait_idle(page)
    question = page.locator(f"#project-{data['epicerie']}.leave-unticked")
    expect(question).to_contain_text("Collectif constitué")
    expect(question).to_contain_text("Besoin du territoire vérifié")
    question.get_by_role("button", name="Déplacer quand même").click()
    wait_idle(page)
    expect(page.locator(f"#cards-stage-{data['stages'][2]} #project-{data['epicerie']}")
           ).to_be_visible()
    assert stage_of(live_app, data["epicerie"]) == data["stages"][2]
    with live_app.app_context():
        move = db.session.scalar(select(StageMove).where(
            StageMove.project_id == data["epicerie"]).order_by(StageMove.id.desc()).limit(1))
        assert set(db.session.scalars(select(StageMoveUntickedCriterion.criterion_id).where(
            StageMoveUntickedCriterion.move_id == move.id))) == {data["first"], data["second"]}

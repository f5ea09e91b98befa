"""The organisations directory in Chromium: the live search narrows the list as one types,
keeps it in the URL, and the page passes axe."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from incubator.extensions import db
from incubator.members.services import create_organisation
from incubator.models import Organisation

from .. import factories
from .conftest import axe_violations, log_in


def test_the_live_search_narrows_the_directory_and_keeps_it_in_the_url(page, live_server,
                                                                       live_app):
    with live_app.app_context():
        factories.user(role="advisor", email="yann@cades.example", name="Yann Le Goff")
        for name, commune in [("Épicerie solidaire L’Étal", "La Gacilly"),
                              ("SCOP Bâti Sain", "Pipriac"), ("Atelier Vélo", "Redon")]:
            create_organisation(None, name=name, family="association", commune=commune)
        db.session.commit()
    log_in(page, live_server, "yann@cades.example")
    page.goto(live_server + "/members")
    page.wait_for_load_state("load")
    items = page.locator("#member-results li")
    expect(items).to_have_count(3)
    assert axe_violations(page) == []
    page.get_by_label("Rechercher").fill("epicerie")  # without its accent
    expect(page).to_have_url(re.compile(r"q=epicerie"))
    expect(items).to_have_count(1)
    expect(items.first).to_contain_text("Épicerie solidaire L’Étal")
    expect(page.locator("#member-results")).to_contain_text("1 organisation")
    page.reload()
    expect(page.get_by_label("Rechercher")).to_have_value("epicerie")
    expect(items).to_have_count(1)
    page.get_by_label("Rechercher").fill("")
    expect(items).to_have_count(3)
    assert axe_violations(page) == []


@pytest.mark.parametrize("width", [375, 1280])
def test_the_filters_are_a_readable_form_at_phone_and_desktop_width(page, live_server, live_app,
                                                                   width):
    """Pico draws ``role=search`` as one rounded inline group: eight labelled filters squeezed
    into one row, their values cut ("Tou…") and a pill-shaped button as tall as the form."""
    with live_app.app_context():
        factories.user(role="advisor", email="yann@cades.example", name="Yann Le Goff")
        create_organisation(None, name="Atelier Vélo", family="association", commune="Redon")
        db.session.commit()
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, live_server, "yann@cades.example")
    page.goto(live_server + "/members")
    page.wait_for_load_state("load")
    form = page.locator("form.member-filters")
    for control in form.locator("input[type=search], select").all():
        box = control.bounding_box()
        assert box["width"] >= 140, (control.get_attribute("name"), box)
        # the chosen value is shown whole, not cut
        assert control.evaluate("e => e.scrollWidth <= e.clientWidth + 1"), control.get_attribute(
            "name")
    button = form.get_by_role("button", name="Rechercher")
    assert button.bounding_box()["height"] < 70
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    add = page.get_by_role("button", name="Ajouter une structure").bounding_box()
    search = page.get_by_label("Rechercher").bounding_box()
    assert add["y"] + add["height"] <= search["y"]  # the button does not cover the form


def test_the_create_form_sent_again_from_the_history_adds_nothing(page, live_server, live_app):
    """Back to the form after adding: Chromium fills it again with what was typed (not the
    commune: its suggestions turn autocomplete off), under a fresh one-time token; sending
    it again says the organisation is already there."""
    with live_app.app_context():
        factories.user(role="advisor", email="yann@cades.example", name="Yann Le Goff")
        db.session.commit()
    log_in(page, live_server, "yann@cades.example")
    page.goto(live_server + "/members/new")
    page.wait_for_load_state("load")
    page.locator("#name").fill("Atelier Vélo")
    page.locator("#commune").fill("Redon")
    page.get_by_role("button", name="Ajouter la structure").click()
    expect(page).to_have_url(re.compile(r"/members/\d+$"))
    page.go_back()
    page.wait_for_load_state("load")
    expect(page.locator("#name")).to_have_value("Atelier Vélo")
    page.get_by_role("button", name="Ajouter la structure").click()
    expect(page.locator("[role=alert]")).to_contain_text("Atelier Vélo (Redon) est déjà")
    with live_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Organisation)) == 1

"""The organisations directory in Chromium: the live search narrows the list as one types,
keeps it in the URL, and the page passes axe."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from incubator.extensions import db
from incubator.members.services import create_organisation

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

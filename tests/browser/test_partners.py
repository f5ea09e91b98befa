"""The partners in Chromium: the live search narrows the list as one types (an
organisation-partner found by its organisation's name), keeps it in the URL, the page
passes axe, and the partner's page too, at phone width."""

from __future__ import annotations

import re
from datetime import date

from playwright.sync_api import expect

from incubator.extensions import db
from incubator.members.services import create_organisation
from incubator.models import Partner, Support, SupportStatusChange
from incubator.partners.services import create_partner

from .. import factories
from .conftest import axe_violations, log_in


def test_the_live_search_narrows_the_partners_and_keeps_it_in_the_url(page, live_server,
                                                                      live_app):
    with live_app.app_context():
        factories.user(role="advisor", email="yann@cades.example", name="Yann Le Goff")
        create_partner(None, name="Redon Agglomération", kind="intercommunalite")
        create_partner(None, name="Région Bretagne", kind="region")
        organisation = create_organisation(None, name="Fondation Pays de Vilaine Solidarités",
                                           family="foundation")
        db.session.add(Partner(organisation_id=organisation.id, kind="foundation"))
        db.session.commit()
    log_in(page, live_server, "yann@cades.example")
    page.goto(live_server + "/partners")
    page.wait_for_load_state("load")
    items = page.locator("#partner-results li")
    expect(items).to_have_count(3)
    assert axe_violations(page) == []
    page.get_by_label("Rechercher").fill("REGION")  # without its accent
    expect(page).to_have_url(re.compile(r"q=REGION"))
    expect(items).to_have_count(1)
    expect(items.first).to_contain_text("Région Bretagne")
    page.get_by_label("Rechercher").fill("vilaine solidar")  # the organisation's name
    expect(items).to_have_count(1)
    expect(items.first).to_contain_text("Fondation Pays de Vilaine")
    page.reload()
    expect(page.get_by_label("Rechercher")).to_have_value("vilaine solidar")
    expect(items).to_have_count(1)
    page.get_by_label("Rechercher").fill("")
    expect(items).to_have_count(3)
    page.locator("#partner-kind").select_option("region")
    expect(page).to_have_url(re.compile(r"kind=region"))
    expect(items).to_have_count(1)
    assert axe_violations(page) == []


def test_the_partner_page_passes_axe_and_fits_a_phone(page, live_server, live_app):
    with live_app.app_context():
        factories.user(role="advisor", email="yann@cades.example", name="Yann Le Goff")
        partner = create_partner(None, name="France Active Bretagne", kind="solidarity_funder")
        project = factories.project(title="Épicerie vrac")
        db.session.flush()
        support = Support(project_id=project.id, partner_id=partner.id, kind="honour_loan",
                          status="granted", status_on=date(2026, 3, 1), amount_cents=800000)
        db.session.add(support)
        db.session.flush()
        for to_status, day in (("requested", date(2026, 1, 5)), ("granted", date(2026, 3, 1))):
            db.session.add(SupportStatusChange(support_id=support.id, to_status=to_status,
                                               changed_on=day, amount_cents=800000))
        db.session.commit()
        partner_id = partner.id
    page.set_viewport_size({"width": 375, "height": 800})
    log_in(page, live_server, "yann@cades.example")
    page.goto(live_server + f"/partners/{partner_id}")
    page.wait_for_load_state("load")
    expect(page.locator("table")).to_contain_text("8\u202f000\xa0€")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert axe_violations(page) == []

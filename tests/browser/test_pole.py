"""A manager sets the pole's identity in Chromium on a phone-sized screen (375 px): the
page fits, axe finds nothing, a refused e-mail comes back in place with its error, and a
saved logo and short name show in the header."""

from __future__ import annotations

import io

from PIL import Image
from playwright.sync_api import Page, expect

from incubator.extensions import db
from incubator.models import PoleSettings

from .. import factories
from .conftest import axe_violations, log_in


def _png(tmp_path) -> str:
    path = tmp_path / "logo.png"
    out = io.BytesIO()
    Image.new("RGB", (800, 400), (30, 90, 160)).save(out, format="PNG")
    path.write_bytes(out.getvalue())
    return str(path)


def test_the_pole_settings_page_at_375_px(page: Page, live_server, live_app, tmp_path):
    with live_app.app_context():
        factories.user(role="manager", email="claire@cades.example", name="Claire Rouxel")
        db.session.commit()
    page.set_viewport_size({"width": 375, "height": 800})
    log_in(page, live_server, "claire@cades.example")
    page.goto(live_server + "/admin/pole")
    expect(page.get_by_role("heading", name="Le pôle", exact=True)).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert axe_violations(page) == []

    # A wrong address: the form comes back in place (htmx, 422), input kept, error said.
    page.evaluate("window.notReloaded = true")
    page.get_by_label("Nom court").fill("PESS Vitré")
    page.get_by_label("Adresse e-mail de contact").fill("pas-une-adresse")
    page.get_by_role("button", name="Enregistrer les réglages").click()
    expect(page.locator("#contact_email-error")).to_contain_text("adresse e-mail valide")
    assert page.evaluate("window.notReloaded === true")
    expect(page.get_by_label("Nom court")).to_have_value("PESS Vitré")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert axe_violations(page) == []

    # Corrected, with a logo and another time zone: saved, shown in the header.
    page.get_by_label("Adresse e-mail de contact").fill("contact@pole-vitre.example")
    page.get_by_label("Logo", exact=True).set_input_files(_png(tmp_path))
    page.get_by_label("Fuseau horaire").select_option("America/Montreal")
    page.get_by_role("button", name="Enregistrer les réglages").click()
    expect(page.locator("#messages")).to_contain_text("Les réglages du pôle sont enregistrés.")
    expect(page.locator(".brand-pole")).to_have_text("PESS Vitré")
    logo = page.locator("img.brand-logo")
    expect(logo).to_be_visible()
    assert page.evaluate("(img) => img.complete && img.naturalWidth", logo.element_handle()) == 256
    expect(page.get_by_label("Fuseau horaire")).to_have_value("America/Montreal")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert axe_violations(page) == []
    with live_app.app_context():
        row = db.session.get(PoleSettings, 1)
        assert (row.short_name, row.time_zone, row.version) == (
            "PESS Vitré", "America/Montreal", 1)

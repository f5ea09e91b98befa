"""Download my data in Chromium (issue 14): from the account menu, the page passes axe-core,
its button downloads a ZIP that opens; a manager exports a holder's data from the users
page after the page that names them."""

from __future__ import annotations

import json
import re
import zipfile

from playwright.sync_api import Page, expect

from incubator.extensions import db

from .. import factories
from .conftest import axe_violations, log_in


def test_a_holder_downloads_their_data_from_the_account_menu(page: Page, live_server, live_app):
    with live_app.app_context():
        holder = factories.user(email="anne@exemple.fr", name="Anne Briand")
        factories.project(holders=[holder], title="Épicerie vrac")
        db.session.commit()
    log_in(page, live_server, "anne@exemple.fr", lands_on=r"/projects/mine$")

    page.locator(".user-menu summary").click()
    page.get_by_role("link", name="Télécharger mes données").click()
    expect(page).to_have_url(re.compile(r"/account/data$"))
    expect(page.get_by_role("heading", name="Télécharger mes données")).to_be_visible()
    assert axe_violations(page) == []

    with page.expect_download() as info:
        page.get_by_role("button", name="Télécharger mes données (ZIP)").click()
    download = info.value
    assert re.fullmatch(r"mes-donnees-\d{4}-\d{2}-\d{2}\.zip", download.suggested_filename)
    with zipfile.ZipFile(download.path()) as archive:
        assert json.loads(archive.read("profile.json"))["name"] == "Anne Briand"
        [project] = json.loads(archive.read("projects.json"))
        assert project["title"] == "Épicerie vrac"
    expect(page).to_have_url(re.compile(r"/account/data$"))  # still on the page


def test_a_manager_exports_a_holders_data_from_the_users_page(page: Page, live_server,
                                                              live_app):
    with live_app.app_context():
        factories.user("manager", email="direction@exemple.fr")
        factories.user(email="anne@exemple.fr", name="Anne Briand")
        db.session.commit()
    log_in(page, live_server, "direction@exemple.fr")
    page.goto(live_server + "/admin/users")
    page.get_by_role("link", name="Exporter ses données (Anne Briand)").click()
    expect(page.get_by_role("heading", name="Exporter les données personnelles d’Anne Briand")
           ).to_be_visible()
    assert axe_violations(page) == []
    with page.expect_download() as info:
        page.get_by_role("button", name="Télécharger les données d’Anne Briand (ZIP)").click()
    with zipfile.ZipFile(info.value.path()) as archive:
        assert json.loads(archive.read("profile.json"))["email"] == "anne@exemple.fr"

"""The managers' settings: one « Réglages » (Settings) entry in the main navigation, and the settings'
pages (team, pole, stages and their exit criteria, lists, cohorts) as tabs under it."""
from __future__ import annotations

import re

import pytest

from . import factories

PAGES = {  # url → the tab marked current
    "/admin/users": "Team",
    "/admin/users/handover": "Team",
    "/admin/pole": "The pole",
    "/admin/stages": "Stages",
    "/admin/stages/{stage}/edit": "Stages",
    "/admin/stages/{stage}/checklist": "Stages",
    "/admin/lists": "Lists",
    "/admin/lists/themes": "Lists",
    "/admin/lists/communes": "Lists",
    "/admin/cohorts": "Cohorts",
}


def _current(html: str, label: str) -> list[str]:
    return re.findall(rf'<a href="[^"]*" aria-current="page">{label}</a>', html)


@pytest.mark.parametrize("url", PAGES)
def test_each_settings_page_marks_its_tab_and_the_settings_entry(client, login, url):
    login("manager")
    response = client.get(url.format(stage=factories.stage(1).id))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'aria-label="Settings"' in html  # the tabs
    assert len(_current(html, PAGES[url])) == 1, url
    assert 'aria-current="page">Settings</a>' in html


def test_the_settings_entry_is_not_current_elsewhere(client, login):
    login("manager")
    html = client.get("/board").get_data(as_text=True)
    assert ">Settings</a>" in html and 'aria-current="page">Settings</a>' not in html
    assert 'aria-label="Settings"' not in html  # no tabs outside the settings


def test_advisors_have_no_settings_entry(client, login):
    login("advisor")
    assert ">Settings</a>" not in client.get("/board").get_data(as_text=True)

"""Every page each role reaches, with texts as long as the fields allow and without a space
(tests/hostile_data.py's data set, ``LongText``): at 375 px no page scrolls sideways as a
whole, and at 1280 px axe-core finds no violation of any impact (in the SQLite phase: see
AXE_ON_THIS_DATABASE in conftest.py), in French and in English; each page answers as
STATUS says and logs no error in the console.

One crawl per role (anonymous, holder, mentor, advisor, manager) and language (the advisor's
in French only, and on PostgreSQL every role's: see CRAWLS); each page is also seen in the states a user opens on it (the
board's move control, the notification menu)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from incubator.extensions import db
from incubator.models import ProjectHolder, utcnow

from .. import factories
from ..conftest import is_postgres
from ..hostile_data import LongText, build_once
from .conftest import ALL_IMPACTS, AXE_ON_THIS_DATABASE, axe_violations, log_in
from .test_narrow_screens import OVERFLOWING

NARROW, WIDE = 375, 1280


def _pages(role: str, ids: dict, links: dict) -> list[str]:
    project = f"/projects/{ids['project']}"
    common = ["/", "/privacy", "/no-such-page"]
    if role == "anonymous":
        return common + ["/auth/login", "/auth/register", "/auth/reset",
                         f"/auth/password/{links['coholder1']}", "/board"]
    account = ["/account", "/account/sessions", "/account/password", "/notifications",
               "/next-steps"]
    account += ["/account/data"]  # download my data (issue 14)
    if role == "holder":
        return common + account + [
            "/projects/mine", project, f"{project}/history", f"{project}/edit",
            f"/projects/{ids['draft']}", f"/projects/{ids['draft']}/edit", "/projects/new",
            "/board"]
    if role == "mentor":
        return common + account + [
            "/my-mentorships", project, f"{project}/history", f"{project}/notes",
            f"{project}/notes/{ids['mentor_note']}/edit", "/members",
            f"/members/{ids['organisation']}"]
    staff = common + account + [
        "/board", "/board?q=qz", "/board?q=aucun-projet-ne-porte-ce-nom", "/board/closed",
        f"/board/stages/{ids['stage2']}", project, f"{project}/history", f"{project}/edit",
        f"{project}/move", f"{project}/notes", f"{project}/notes/{ids['shared_note']}/edit",
        f"/projects/{ids['closed']}", f"/projects/{ids['paused']}",
        "/members", "/members?q=qz", f"/members/{ids['organisation']}", "/members/new",
        f"/members/{ids['organisation']}/edit", f"{project}/mentors/new",
        f"{project}/mentors/new?q=qz",
        f"{project}/mentors/new?organisation_id={ids['organisation']}",
        f"{project}/mentors/{ids['mentorship']}/edit",
        f"{project}/referrals/new", f"{project}/referrals/{ids['referral']}/edit",
        f"{project}/supports/new", f"{project}/supports/{ids['support']}/edit",
        f"{project}/supports/{ids['support']}/delete",
        "/members/imports",
        f"/members/imports/{ids['import']}",
        "/partners", "/partners?q=qz", f"/partners/{ids['partner']}",
        f"/partners/{ids['organisation_partner']}", f"/partners/{ids['partner']}/activity",
        "/partners/new", f"/partners/{ids['partner']}/edit",
        f"/partners/{ids['partner']}/contacts/{ids['partner_contact']}/edit",
        f"/members/{ids['organisation']}/activity"]
    sitting = f"/committees/{ids['sitting']}"  # committees
    staff += ["/committees", "/committees?q=qz", "/committees/new", sitting, f"{sitting}/edit",
              f"{sitting}/agenda", f"{sitting}/reviews/{ids['review']}"]
    group, meeting = f"/groups/{ids['group']}", f"/groups/{ids['group']}/meetings/{ids['meeting']}"
    staff += ["/groups", "/groups?q=qz", "/groups/new", group, f"{group}/edit",
              f"{group}/participants?q=qz", f"{group}/meetings/new", meeting, f"{meeting}/edit"]
    staff += ["/pipeline/territory"]  # territory key figures
    staff += ["/exports", "/exports?from=2026-01-01&commune=Redon"]  # exports (issue 12, F)
    cohort = f"/cohorts/{ids['cohort']}"  # cohorts (issue 13, part D)
    staff += ["/cohorts", cohort, f"{cohort}?q=qz", f"/board?cohort={ids['cohort']}"]
    if role == "manager":
        staff += ["/admin/users", "/admin/users?role=holder", "/admin/users/handover",
                  "/admin/pole", "/admin/stages",
                  f"/admin/stages/{ids['stage1']}/edit",
                  f"/admin/stages/{ids['stage1']}/checklist"]
        staff += ["/admin/lists", "/admin/lists/themes", "/admin/lists/legal-forms",
                  "/admin/lists/criteria", "/admin/lists/note-kinds", "/admin/lists/communes"]
        staff += ["/admin/closure-requests"]  # account closure requests (issue 14)
        staff += ["/admin/cohorts", f"/admin/cohorts/{ids['cohort']}/edit",
                  f"/pipeline?cohort={ids['cohort']}"]
        staff += [f"/privacy/people/user/{ids['holder']}/export",  # GDPR export (issue 14)
                  f"/privacy/people/organisation-contact/{ids['contact']}/export"]
        staff += ["/pipeline/territory/employment/new",
                  f"/pipeline/territory/employment/{ids['territory_employment']}/edit"]
    return staff


def _states(page: Page, path: str):
    """Yield a name for the page as loaded, then for each state a user opens on it."""
    yield path
    if path == "/board" and page.locator(".card-move").count():
        page.locator(".card-move").first.click()
        page.locator("form.move-form").first.wait_for()
        page.wait_for_function(
            "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')")
        yield path + " (move control open)"
    bell = page.locator(".notification-bell-link")
    if path == "/" and bell.count():
        bell.first.click()
        expect(page.locator("#notification-menu")).to_be_visible()
        yield path + " (notification menu open)"


# The pages crawled for how their refusal looks; every other one answers 200.
STATUS = {"/no-such-page": 404, ("holder", "/board"): 403}


def _crawl(page: Page, base: str, role: str, paths: list[str],
           language: str) -> dict[str, object]:
    problems: dict[str, object] = {}
    for path in paths:
        page.set_viewport_size({"width": NARROW, "height": 740})
        status = page.goto(base + path).status
        if status != STATUS.get((role, path), STATUS.get(path, 200)):
            problems[f"{language} {path} status"] = status
        page.wait_for_load_state("load")
        for state in _states(page, path):
            page.set_viewport_size({"width": NARROW, "height": 740})
            width = page.evaluate("() => document.documentElement.scrollWidth")
            if width > NARROW:
                problems[f"{language} {state} at {NARROW} px"] = (
                    width, page.evaluate(OVERFLOWING, NARROW))
            if not AXE_ON_THIS_DATABASE:
                continue  # axe-core: the SQLite phase's (see its reason in conftest.py)
            page.set_viewport_size({"width": WIDE, "height": 900})
            found = axe_violations(page, impacts=ALL_IMPACTS)
            if found:
                problems[f"{language} {state} axe"] = [
                    (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:4]) for v in found]
    return problems


# One test per role and language, so that pytest-xdist spreads the crawl over the workers;
# the staff roles' crawls, the longest tests of the suite, start first (see
# pytest_collection_modifyitems in tests/browser/conftest.py). The advisor's pages are the
# manager's without the settings: in English, where only the texts change, the manager's
# crawl sees them all (the advisor's French crawl checks what differs by role).
# In English on SQLite only: the language changes the catalogue's texts the templates
# render (their widths at 375 px, axe-core's reading of them), not what the database stores
# or how it is read; the French crawl loads every page on PostgreSQL (docs/testing.md, "CI
# time, third pass": four crawls fewer in that phase).
CRAWLS = [(role, language) for role in ("manager", "advisor", "mentor", "holder", "anonymous")
          for language in (("fr",) if is_postgres() else ("fr", "en"))
          if (role, language) != ("advisor", "en")]


@pytest.mark.parametrize(("role", "language"), CRAWLS)
def test_every_page_fits_a_phone_and_passes_axe(
        page: Page, live_server, live_app, role, language):
    with live_app.app_context():
        data = build_once(live_app, LongText)
        # A 100-character e-mail address, shown on the project page and the users' list.
        holder = factories.user(email="a" * 88 + "@exemple.org", name=LongText()("co-holder", 120))
        db.session.add(ProjectHolder(project_id=data.ids["project"], user_id=holder.id,
                                     added_at=utcnow()))
        db.session.commit()
    if role != "anonymous":
        log_in(page, live_server, data.emails[role],
               lands_on={"holder": r"/projects/mine$",
                         "mentor": r"/my-mentorships$"}.get(role, r"/board$"))
    if language == "en":
        page.goto(live_server + "/privacy")
        page.locator(".lang-switch button[value=en]").click()
        expect(page.locator("html")).to_have_attribute("lang", "en")
    problems = _crawl(page, live_server, role, _pages(role, data.ids, data.links), language)
    assert problems == {}, "\n".join(f"{k}: {v}" for k, v in problems.items())

"""No user text can become markup: every page and fragment, as each role, in French and in
English, with every free-text field filled with attacks (see tests/hostile_data.py).

A new page or fragment goes into URLS (one line); the last test fails until it is there or in
NOT_CRAWLED with the reason.
"""

from __future__ import annotations

from flask import url_for
from sqlalchemy import select

from incubator.extensions import db
from incubator.models import Stage

from .hostile_data import build, check_html

ANONYMOUS, HOLDER, MENTOR, ADVISOR, MANAGER = "anonymous", "holder", "mentor", "advisor", "manager"
EVERYONE = (HOLDER, MENTOR, ADVISOR, MANAGER)
STAFF = (ADVISOR, MANAGER)
READERS = (HOLDER, ADVISOR, MANAGER)  # of every project (mentors: the one they mentor)
PAGE, FRAGMENT, BOTH = "page", "fragment", "page and fragment"

# One line per page or fragment: endpoint, url_for arguments, roles, plain and/or htmx.
# In the arguments "@name" is the id of that object of the data set, "$name" one of its
# links or tokens, "!what" a fresh payload (for what the URL carries: filters…).
URLS = [
    ("main.index", {}, (ANONYMOUS,), PAGE),
    ("main.privacy", {}, (ANONYMOUS, *EVERYONE), PAGE),
    ("auth.login", {"next": "/board"}, (ANONYMOUS,), PAGE),
    ("auth.register", {}, (ANONYMOUS,), PAGE),
    ("auth.reset_request", {}, (ANONYMOUS,), PAGE),
    ("auth.set_password", {"token": "$coholder1"}, (ANONYMOUS,), PAGE),
    ("projects.mine", {}, EVERYONE, PAGE),
    ("projects.new", {}, (HOLDER, ADVISOR, MANAGER), PAGE),
    ("projects.show", {"project_id": "@project"}, (*READERS, MENTOR), PAGE),
    ("projects.show", {"project_id": "@draft"}, READERS, PAGE),
    ("projects.show", {"project_id": "@closed"}, READERS, PAGE),
    ("projects.show", {"project_id": "@paused"}, READERS, PAGE),
    ("projects.edit", {"project_id": "@project"}, READERS, BOTH),
    ("projects.edit", {"project_id": "@draft"}, READERS, PAGE),
    ("projects.description", {"project_id": "@project"}, (*READERS, MENTOR), FRAGMENT),
    ("projects.history", {"project_id": "@project"}, (*READERS, MENTOR), FRAGMENT),
    ("notes.index", {"project_id": "@project"}, (*READERS, MENTOR), BOTH),
    ("notes.show", {"project_id": "@project", "note_id": "@shared_note"}, (*READERS, MENTOR),
     BOTH),
    ("notes.edit", {"project_id": "@project", "note_id": "@note"}, (ADVISOR,), BOTH),
    ("notes.edit", {"project_id": "@project", "note_id": "@mentor_note"}, (MENTOR,), BOTH),
    ("mentors.mine", {}, (MENTOR,), PAGE),
    ("next_steps.mine", {}, EVERYONE, PAGE),
    ("notifications.index", {}, EVERYONE, BOTH),
    ("notifications.menu", {}, EVERYONE, FRAGMENT),
    ("notifications.bell", {"shown": 0}, EVERYONE, FRAGMENT),
    ("board.index", {}, STAFF, BOTH),
    ("board.index", {"q": "!board search", "commune": "!board commune filter"}, STAFF, BOTH),
    ("board.column", {"stage_id": "@stage1"}, STAFF, BOTH),
    ("board.column", {"stage_id": "@stage1", "q": "!column search"}, STAFF, FRAGMENT),
    ("board.changes", {"token": "$stale_token"}, STAFF, FRAGMENT),
    ("board.closed", {}, STAFF, PAGE),
    ("board.move_form", {"project_id": "@project", "next": "/board"}, STAFF, BOTH),
    ("board.card", {"project_id": "@project"}, STAFF, FRAGMENT),
    ("admin.users", {}, (MANAGER,), PAGE),
    ("admin.pole", {}, (MANAGER,), BOTH),
    ("admin.security", {}, (MANAGER,), PAGE),
    ("admin.outbox", {}, (MANAGER,), BOTH),
    ("admin.retention_settings", {}, (MANAGER,), BOTH),
    ("admin.stages", {}, (MANAGER,), BOTH),
    ("admin.stage_edit", {"stage_id": "@stage1"}, (MANAGER,), BOTH),
    ("checklists.edit", {"stage_id": "@stage1"}, (MANAGER,), BOTH),
    ("admin.hand_over_page", {}, (MANAGER,), PAGE),
    ("account.sessions_page", {}, EVERYONE, BOTH),
    ("account.password", {}, EVERYONE, PAGE),
    ("account.two_factor", {}, EVERYONE, PAGE),
    ("privacy.my_data", {}, EVERYONE, PAGE),
    ("privacy.person_data", {"kind": "user", "person_id": "@holder"}, (MANAGER,), PAGE),
    ("privacy.person_data", {"kind": "organisation-contact", "person_id": "@contact"},
     (MANAGER,), PAGE),
    ("account.index", {}, EVERYONE, PAGE),
    ("closures.index", {}, (MANAGER,), PAGE),
    ("admin.users", {"role": "holder"}, (MANAGER,), PAGE),
    ("members.index", {}, (MENTOR, ADVISOR, MANAGER), BOTH),
    ("members.index", {"q": "!directory search", "sector": "!directory sector filter",
                       "commune": "!directory commune filter"}, (ADVISOR,), BOTH),
    ("members.show", {"organisation_id": "@organisation"}, (MENTOR, ADVISOR, MANAGER), PAGE),
    ("members.new", {}, STAFF, PAGE),
    ("members.edit", {"organisation_id": "@organisation"}, STAFF, PAGE),
    ("mentoring.new", {"project_id": "@project"}, STAFF, BOTH),
    ("mentoring.new", {"project_id": "@project", "q": "!mentor search"}, STAFF, BOTH),
    ("mentoring.new", {"project_id": "@project", "organisation_id": "@organisation"}, STAFF,
     PAGE),
    ("supports.new", {"project_id": "@project"}, STAFF, BOTH),
    ("supports.change", {"project_id": "@project", "support_id": "@support"}, STAFF, BOTH),
    ("supports.delete", {"project_id": "@project", "support_id": "@support"}, STAFF, BOTH),
    ("accompaniment.index", {"project_id": "@project"}, STAFF, BOTH),
    ("accompaniment.change", {"project_id": "@project", "entry_id": "@accompaniment"},
     STAFF, PAGE),
    ("accompaniment.delete", {"project_id": "@project", "entry_id": "@accompaniment"},
     STAFF, PAGE),
    ("mentoring.change", {"project_id": "@project", "mentorship_id": "@mentorship"}, STAFF,
     PAGE),
    ("referrals.new", {"project_id": "@project"}, STAFF, BOTH),
    ("referrals.change", {"project_id": "@project", "referral_id": "@referral"}, STAFF,
     PAGE),
    ("imports.index", {}, STAFF, PAGE),
    ("partners.index", {}, STAFF, BOTH),
    ("partners.index", {"q": "!partner search", "sort": "projects"}, (ADVISOR,), BOTH),
    ("partners.show", {"partner_id": "@partner"}, STAFF, PAGE),
    ("partners.show", {"partner_id": "@organisation_partner"}, STAFF, PAGE),
    ("partners.activity", {"partner_id": "@partner"}, STAFF, BOTH),
    ("partners.new", {}, STAFF, PAGE),
    ("partners.edit", {"partner_id": "@partner"}, STAFF, PAGE),
    ("partners.edit_contact", {"partner_id": "@partner", "contact_id": "@partner_contact"},
     STAFF, PAGE),
    ("partners.organisation_activity", {"organisation_id": "@organisation"},
     (MENTOR, ADVISOR, MANAGER), BOTH),
    ("imports.show", {"import_id": "@import"}, STAFF, PAGE),
    ("groups.index", {"q": "!group search"}, STAFF, BOTH),
    ("groups.index", {"archived": "1"}, STAFF, BOTH),
    ("groups.new", {}, STAFF, PAGE),
    ("groups.show", {"group_id": "@group"}, STAFF, PAGE),
    ("groups.edit", {"group_id": "@group"}, STAFF, PAGE),
    ("groups.participants", {"group_id": "@group", "q": "!participant search"}, STAFF, BOTH),
    ("groups.new_meeting", {"group_id": "@group"}, STAFF, PAGE),
    ("groups.meeting", {"group_id": "@group", "meeting_id": "@meeting"}, STAFF, PAGE),
    ("groups.edit_meeting", {"group_id": "@group", "meeting_id": "@meeting"}, STAFF, PAGE),
    ("committees.index", {}, STAFF, BOTH),
    ("committees.index", {"q": "!committee search", "archived": "1"}, STAFF, BOTH),
    ("committees.new", {}, STAFF, PAGE),
    ("committees.show", {"sitting_id": "@sitting"}, STAFF, PAGE),
    ("committees.edit", {"sitting_id": "@sitting"}, STAFF, PAGE),
    ("committees.candidates", {"sitting_id": "@sitting"}, STAFF, BOTH),
    ("committees.candidates", {"sitting_id": "@sitting", "q": "!agenda search"}, STAFF, BOTH),
    ("committees.review", {"sitting_id": "@sitting", "review_id": "@review"}, STAFF, PAGE),
    ("lists.index", {}, (MANAGER,), PAGE),
    ("lists.show", {"slug": "themes"}, (MANAGER,), BOTH),
    ("lists.show", {"slug": "legal-forms"}, (MANAGER,), BOTH),
    ("lists.show", {"slug": "criteria"}, (MANAGER,), BOTH),
    ("lists.show", {"slug": "note-kinds"}, (MANAGER,), BOTH),
    ("lists.communes_page", {}, (MANAGER,), PAGE),
    ("report.index", {}, (MANAGER,), BOTH),
    ("territory.index", {}, STAFF, BOTH),
    ("territory.new_employment", {}, (MANAGER,), PAGE),
    ("territory.edit_employment", {"employment_id": "@territory_employment"}, (MANAGER,), PAGE),
    ("exports.index", {"commune": "!export commune", "from": "2026-01-01"}, STAFF, PAGE),
    ("pipeline.index", {}, STAFF, BOTH),
    ("pipeline.index", {"commune": "!pipeline commune filter"}, (ADVISOR,), BOTH),
    ("pipeline.index", {"cohort": "@cohort"}, (MANAGER,), BOTH),
    ("board.index", {"cohort": "@cohort"}, STAFF, BOTH),
    ("cohorts.admin", {}, (MANAGER,), PAGE),
    ("cohorts.edit", {"cohort_id": "@cohort"}, (MANAGER,), PAGE),
    ("cohorts.index", {}, STAFF, PAGE),
    ("cohorts.show", {"cohort_id": "@cohort"}, STAFF, PAGE),
    ("cohorts.show", {"cohort_id": "@cohort", "q": "!cohort project search"}, STAFF, BOTH),
    ("erasures.index", {}, (MANAGER,), PAGE),
    ("erasures.erase_user", {"user_id": "@holder"}, (MANAGER,), PAGE),
]

NOT_CRAWLED = {
    "account.confirm_email": "a link mailed to the new address: its page shows that address "
                             "(a valid e-mail) and nothing else typed; test_account checks "
                             "each of its answers",
    "erasures.erase_contact": "the same page as erasures.erase_user (a contact's name, escaped)",
    "erasures.erase_partner_contact": "the same page as erasures.erase_user",
    "erasures.show": "an erasure's number, date, the manager's name and labels of places; "
                     "test_erasure renders one",
    "static": "files from static/, no data",
    "main.healthz": "JSON liveness, no data",
    "main.ready": "JSON readiness of the database and limits store, no user data",
    "main.pole_logo": "a PNG the app drew itself (test_pole checks its headers)",
    "groups.calendar": "an iCalendar attachment, never rendered (test_groups parses it back)",
    "documents.download": "an attachment, never rendered (test_documents checks its headers)",
    "exports.download": "a CSV or XLSX attachment, never rendered (test_exports parses each "
                        "back, formulas neutralised)",
    "committees.criteria": "a permanent redirect to lists.show (slug criteria), crawled "
                           "above; test_committees checks it",
    "lists.communes_preview": "an upload's preview belongs to its uploader (test_lists "
                              "checks another manager gets 404)",
    "auth.second_factor": "the login's code step needs a right password first and shows no "
                          "user text (test_two_factor renders it)",
    "imports.preview": "an upload's preview belongs to its uploader: hostile_data.build keeps "
                       "the advisor's preview of a hostile file for the checker",
}


def _arguments(arguments: dict, data, payloads: dict[str, str]) -> dict:
    values = {}
    for name, value in arguments.items():
        if isinstance(value, str) and value[:1] == "@":
            value = data.ids[value[1:]]
        elif isinstance(value, str) and value[:1] == "$":
            value = data.links[value[1:]]
        elif isinstance(value, str) and value[:1] == "!":
            if value not in payloads:
                payloads[value] = data.markers(value[1:], 100, shown=False)  # echoed or not
            value = payloads[value]
        values[name] = value
    return values


def test_no_user_text_becomes_markup_on_any_page_for_any_role(app):
    data = build(app)
    stages = db.session.scalars(select(Stage).where(Stage.active)).all()
    data.links["stale_token"] = ".".join(f"{s.id}:stale" for s in stages)
    data.clients[ANONYMOUS] = app.test_client()
    payloads: dict[str, str] = {}
    with app.test_request_context():
        requests = [
            (role, url_for(endpoint, **_arguments(arguments, data, payloads)), mode)
            for endpoint, arguments, roles, mode in URLS for role in roles
        ]
    markers = data.markers.pattern()  # after the URL payloads joined

    problems: list[str] = []
    texts: list[str] = []
    for what, html in data.answers:
        found, text = check_html(html, markers)
        problems += [f"{what}: {problem}" for problem in found]
        texts.append(text)
    for language in ("fr", "en"):
        for role, client in data.clients.items():
            with client.session_transaction() as session:
                session["locale"] = language
            for asked_by, url, mode in requests:
                if asked_by != role:
                    continue
                for htmx in {PAGE: (False,), FRAGMENT: (True,), BOTH: (False, True)}[mode]:
                    response = client.get(url, htmx=htmx, follow_redirects=not htmx,
                                          headers={"Accept-Language": language})
                    where = f"{role} {language} {'htmx ' if htmx else ''}{url}"
                    assert response.status_code in (200, 204), (where, response.status_code)
                    found, text = check_html(response.get_data(as_text=True), markers)
                    problems += [f"{where}: {problem}" for problem in found]
                    texts.append(text)
                    for header in ("HX-Trigger", "HX-Redirect", "HX-Location", "HX-Push-Url"):
                        value = response.headers.get(header, "")
                        assert not markers.search(value.split("?")[0]), (where, header, value)

    assert problems == [], "\n".join(problems[:60])
    text = " ".join(texts)
    unseen = {m: what for m, what in data.markers.fields.items()
              if m not in text and m not in data.markers.hidden}
    assert unseen == {}, f"never shown as text (is their page missing from URLS?): {unseen}"


def test_the_crawl_sees_what_the_payloads_would_create():
    markers = __import__("re").compile("qz00q|qz01q")
    unsafe = [
        """<option>E<b hx-post=/admin/users/invite hx-vals='{"m":"qz00q"}' hx-trigger=load>""",
        """<input value="x" hx-get="/qz01q" hx-trigger="load">""",
        """<p>x</p><img src=x onerror=alert("qz00q")>""",
        """<textarea></textarea><svg onload=alert("qz00q")>qz00q</textarea>""",
        """<a href="javascript:alert('qz00q')">qz00q</a>""",
        """<a href=" JaVaScRiPt:alert(1)">x</a>""",
        """<script>alert("qz00q")</script>""",
        """<iframe src="/qz01q"></iframe>""",
        """<p x' hx-get='/qz01q'>""",
    ]
    for html in unsafe:
        assert check_html(html, markers)[0], html
    safe = (
        """<option>E&lt;b hx-post=/admin/users/invite hx-trigger=load&gt;qz00q</option>"""
        """<input value="x&#34; hx-get=&#34;/qz01q&#34;"><textarea>&lt;/textarea&gt;qz00q"""
        """</textarea><button hx-confirm="Delete “qz00q”?" hx-get="/board?q=%3Cb+qz00q">"""
        """<a href="/projects/1" aria-label="qz01q">qz01q</a>"""
    )
    problems, text = check_html(safe, markers)
    assert problems == [], "\n".join(problems[:60])
    assert "qz00q" in text and "qz01q" in text


def test_every_page_is_crawled_or_excused(app):
    listed = {endpoint for endpoint, *_ in URLS}
    pages = {rule.endpoint for rule in app.url_map.iter_rules() if "GET" in rule.methods}
    assert pages - listed - set(NOT_CRAWLED) == set(), "add the new page to URLS"
    assert (listed | set(NOT_CRAWLED)) - pages == set(), "entries for pages that are gone"
    assert listed & set(NOT_CRAWLED) == set()

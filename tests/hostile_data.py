"""A data set where every free text a user can reach is an attack on the page, and a checker
that says whether any of it became markup.

Used by tests/test_hostile_data.py (every page and fragment, each role, both languages) and
tests/browser/test_hostile_data.py (the project page and the board in Chromium).

Each payload carries a unique marker (``qz07q``…): the checker reports any element, attribute
or URL scheme that a payload could have created, and the crawl checks that every marker was
shown as text somewhere (so the field really was on a page).
"""

from __future__ import annotations

import copy
import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date
from html.parser import HTMLParser

from flask import Flask
from sqlalchemy import Integer, select, text

from incubator.extensions import db
from incubator.i18n import pole_today
from incubator.models import (
    AccompanimentTime,
    Document,
    GroupMeeting,
    LegalForm,
    Mentorship,
    NextStep,
    Note,
    OrganisationContact,
    OrganisationImport,
    Partner,
    PartnerContact,
    Project,
    ProjectEvent,
    Stage,
    Support,
    Theme,
    User,
)
from incubator.passwords import hash_password

from . import factories
from .hostile_checklists import build_checklists
from .hostile_committees import build_committees

# Payloads: {m} is the marker. Each tries another way out of text or out of an attribute.
# All are at most 80 characters once formatted, the shortest text column (stage names).
PAYLOADS = [
    # The example: an element that makes htmx post on load.
    """E<b hx-post=/admin/users/invite hx-vals='{{"m":"{m}"}}' hx-trigger=load>{m}""",
    """"><img src=x onerror=alert("{m}")>{m}""",
    """</textarea><svg onload=alert("{m}")>{m}""",
    """<a href="javascript:alert('{m}')">{m}</a>""",
    """x" hx-get="/{m}" hx-trigger="load" autofocus onfocus="alert('{m}')""",
    """x' hx-get='/{m}' hx-trigger='load' onmouseover='alert("{m}")""",
    """<script>alert("{m}")</script>{m}""",
    """'><iframe src="javascript:alert('{m}')"></iframe>{m}""",
]
# File names lose everything up to the last "/" (and the test client cuts them at a quote).
FILE_NAME_PAYLOADS = ["""'><img src=x onerror=alert(1) id={m}>{m}""",
                      """<svg onload=alert(1) id={m}>{m}"""]
PAYLOAD_TAGS = {"b", "img", "svg", "a", "script", "iframe"}
DANGEROUS_TAGS = {"script", "svg", "img", "iframe", "object", "embed", "math", "style", "base",
                  "link", "meta", "frame", "frameset"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "poster",
                  "background"}
# htmx attributes that take a URL: url_for puts filter values in the query string, encoded.
HX_URL_ATTRIBUTES = {"hx-get", "hx-post", "hx-put", "hx-patch", "hx-delete", "hx-push-url"}
# htmx shows this one with window.confirm(): plain text, never markup.
HX_TEXT_ATTRIBUTES = {"hx-confirm"}


class Markers:
    """Hands out payloads, each with a fresh marker, and remembers what each one is for."""

    def __init__(self):
        self.fields: dict[str, str] = {}  # marker -> the field it was put in
        self.hidden: set[str] = set()  # markers of fields no page shows (yet)

    def __call__(self, what: str, max_length: int = 200, *, shown: bool = True,
                 payloads: list[str] = PAYLOADS) -> str:
        number = len(self.fields)
        marker = f"qz{number:02d}q"
        self.fields[marker] = what
        if not shown:
            self.hidden.add(marker)
        for shift in range(len(payloads)):
            text = payloads[(number + shift) % len(payloads)].format(m=marker)
            if len(text) <= max_length:
                return text
        raise AssertionError(f"no payload fits in {max_length} characters")

    def pattern(self) -> re.Pattern:
        return re.compile("|".join(map(re.escape, self.fields)))


class _Checker(HTMLParser):
    def __init__(self, markers: re.Pattern):
        super().__init__(convert_charrefs=True)
        self.markers = markers
        self.problems: list[str] = []
        self.text: list[str] = []
        self.raw_text_tag: str | None = None

    def _problem(self, message: str) -> None:
        self.problems.append(f"line {self.getpos()[0]}: {message}")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._element(tag, attrs)
        if tag in ("script", "style"):
            self.raw_text_tag = tag

    def handle_startendtag(self, tag: str, attrs) -> None:
        self._element(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag == self.raw_text_tag:
            self.raw_text_tag = None

    def _element(self, tag: str, attrs) -> None:
        marked_attribute = False
        for name, value in attrs:
            value = value or ""
            if name == "value" or (tag == "meta" and name == "content"):
                self.text.append(value)  # shown to the user, like text
            shown = f"<{tag} {name}={value!r}>"
            if self.markers.search(name):
                self._problem(f"attribute named by a payload: {shown}")
            if name.startswith("on"):
                self._problem(f"event handler attribute: {shown}")
            if name in URL_ATTRIBUTES and re.sub(r"[\s\x00-\x1f]", "", value).lower().startswith(
                    ("javascript:", "vbscript:", "data:text/html")):
                self._problem(f"script URL: {shown}")
            if not self.markers.search(value):
                continue
            marked_attribute = True
            if name in HX_URL_ATTRIBUTES:
                path, _, query = value.partition("?")
                if (not value.startswith("/") or self.markers.search(path)
                        or re.search(r"[<>\"'\s]", query)):
                    self._problem(f"htmx URL made from data: {shown}")
            elif name.startswith(("hx-", "data-hx-")) and name not in HX_TEXT_ATTRIBUTES:
                self._problem(f"htmx attribute made from data: {shown}")
            elif name in ("autofocus", "style", "srcdoc", "formaction"):
                self._problem(f"attribute made from data: {shown}")
        if marked_attribute and (tag in DANGEROUS_TAGS or tag in PAYLOAD_TAGS - {"a"}):
            self._problem(f"element opened by a payload: <{tag} {attrs}>")

    def handle_data(self, data: str) -> None:
        if self.raw_text_tag and self.markers.search(data):
            self._problem(f"data inside <{self.raw_text_tag}>: {data[:120]!r}")
        self.text.append(data)


def check_html(html: str, markers: re.Pattern) -> tuple[list[str], str]:
    """The problems found in ``html`` and its text (for the markers seen as text)."""
    checker = _Checker(markers)
    checker.feed(html)
    checker.close()
    return checker.problems, " ".join(checker.text)


@dataclass
class HostileData:
    """What the crawl needs: object ids by name, the logged-in clients by role."""

    markers: Markers
    ids: dict[str, int] = field(default_factory=dict)
    emails: dict[str, str] = field(default_factory=dict)
    links: dict[str, str] = field(default_factory=dict)  # tokens for URLs
    clients: dict = field(default_factory=dict)  # role -> logged-in test client
    # (what, html) of every answer seen while building: flashes and mutation fragments.
    answers: list[tuple[str, str]] = field(default_factory=list)


class LongText(Markers):
    """Hands out texts as long as each field allows, without a single space: the layout must
    wrap them (a 160-character title, a 100-character commune, a 120-character name…)."""

    WORD = "Longuesuitedelettressansespace"

    def __call__(self, what: str, max_length: int = 200, *, shown: bool = True,
                 payloads: list[str] = PAYLOADS) -> str:
        super().__call__(what, max_length, shown=shown, payloads=payloads)  # records it
        marker = f"qz{len(self.fields) - 1:02d}q"
        return (marker + self.WORD * (max_length // len(self.WORD) + 1))[:max_length]


def _version(project_id: int) -> int:
    db.session.expire_all()
    return db.session.get(Project, project_id).version


def build(app: Flask, *, pages: bool = True, markers: Markers | None = None) -> HostileData:
    """Create the data set through the real forms where one exists (as a user would), directly
    for what no form reaches yet (reference data a manager will edit). With ``pages``, keep
    every answer (flash messages, fragments) for the checker. ``markers`` may hand out other
    texts (``LongText``: long words for the layout tests). Needs an app context."""
    mark = markers or Markers()
    data = HostileData(mark)

    def keep(what: str, response, *statuses: int) -> None:
        assert response.status_code in (statuses or (200,)), (what, response.status_code,
                                                              response.get_data(as_text=True))
        if pages and response.mimetype == "text/html":
            data.answers.append((what, response.get_data(as_text=True)))

    # Reference data: stages, themes and legal forms (managers will edit them; no form yet).
    for stage in db.session.scalars(select(Stage).order_by(Stage.position)):
        stage.name = mark(f"stage {stage.position} name", 80)
        stage.description = mark(f"stage {stage.position} description", shown=False)
    theme = db.session.scalars(select(Theme).order_by(Theme.id)).first()
    theme.name = mark("theme name", 80)
    legal_form = db.session.scalars(select(LegalForm).order_by(LegalForm.id)).first()
    legal_form.name = mark("legal form name", 80)
    manager = factories.user("manager", email="manager@example.org",
                             name=mark("manager name", 120))
    db.session.commit()
    data.ids.update(manager=manager.id, theme=theme.id, legal_form=legal_form.id,
                    stage1=factories.stage(1).id, stage2=factories.stage(2).id)
    data.emails["manager"] = manager.email

    staff = app.test_client()
    assert staff.post("/auth/login", data={"email": manager.email,
                                           "password": factories.PASSWORD}).status_code == 303

    # The first stage's English wording, through the stage settings (a history row too).
    stage1 = db.session.get(Stage, data.ids["stage1"])
    keep("stage settings", staff.post(f"/admin/stages/{stage1.id}/edit", follow_redirects=True,
                                      data={"name": stage1.name,
                                            "name_en": mark("stage 1 English name", 80),
                                            "description": stage1.description,
                                            "description_en": mark("stage 1 English description",
                                                                   shown=False),
                                            "wip_limit": "", "stalled_days": "",
                                            "version": str(stage1.version)}))

    # Staff and mentors are invited by a manager.
    for role in ("advisor", "mentor"):
        email = f"{role}@example.org"
        keep(f"invite {role}", staff.post("/admin/users/invite", follow_redirects=True, data={
            "name": mark(f"{role} name", 120), "email": email, "role": role}))
        user = db.session.scalar(select(User).where(User.email == email))
        user.password_hash = hash_password(factories.PASSWORD)  # as if they used the link
        db.session.commit()
        data.ids[role] = user.id
        data.emails[role] = email

    # The holder registers and submits ideas.
    holder = app.test_client()
    keep("register", holder.post("/auth/register", follow_redirects=True, data={
        # The example: the holder's name in the assignee list invited a manager.
        "name": mark("holder name", 120, payloads=PAYLOADS[:1]), "email": "holder@example.org",
        "password": factories.PASSWORD, "confirm": factories.PASSWORD, "consent": "y"}))
    data.emails["holder"] = "holder@example.org"
    data.ids["holder"] = db.session.scalar(
        select(User.id).where(User.email == "holder@example.org"))

    def idea(name: str, submit: bool = True) -> int:
        form = factories.complete_idea(
            title=mark(f"{name} title", 160), pitch=mark(f"{name} pitch", 600),
            need=mark(f"{name} need"), target_public=mark(f"{name} target public"),
            planned_activity=mark(f"{name} planned activity"),
            commune=mark(f"{name} commune", 100), theme_id=str(theme.id),
            legal_form_id=str(legal_form.id))
        form["submit_idea" if submit else "save_draft"] = "y"
        response = holder.post("/projects/new", data=form)
        assert response.status_code == 303, response.get_data(as_text=True)
        keep(f"{name} submitted", holder.get(response.location))
        return int(response.location.rstrip("/").rsplit("/", 1)[-1])

    project = data.ids["project"] = idea("project")
    data.ids["draft"] = idea("draft", submit=False)
    data.ids["closed"] = idea("closed project")
    data.ids["paused"] = idea("paused project")

    # Staff work on the project: advisor, co-holders, notes, next steps, documents, moves.
    advisor = app.test_client()
    # The device shown on the sessions page comes from the User-Agent header.
    assert advisor.post("/auth/login", data={"email": data.emails["advisor"],
                                             "password": factories.PASSWORD},
                        headers={"User-Agent": mark("advisor device", 250, shown=False)}
                        ).status_code == 303
    for pid in (project, data.ids["closed"], data.ids["paused"]):
        keep("advisor assigned", advisor.post(f"/projects/{pid}/advisor", htmx=True, data={
            "advisor_id": data.ids["advisor"], "version": _version(pid)}))
    for n, use_htmx in ((1, True), (2, False)):
        response = staff.post(f"/projects/{project}/holders", htmx=use_htmx,
                              follow_redirects=not use_htmx, data={
                                  "email": f"coholder{n}@example.org",
                                  "name": mark(f"co-holder {n} name", 120)})
        keep(f"co-holder {n} added", response)
        # The link goes to the invited person only: read it from their mail.
        mail = app.extensions["outbox"][-1]
        assert mail["To"] == f"coholder{n}@example.org"
        link = re.search(r"(/auth/password/[A-Za-z0-9_.\-]+)", mail.get_content())
        data.links[f"coholder{n}"] = link.group(1).rsplit("/", 1)[-1]  # the token
    coholder2 = db.session.scalar(select(User.id).where(User.email == "coholder2@example.org"))
    keep("co-holder removed", staff.post(
        f"/projects/{project}/holders/{coholder2}/remove", follow_redirects=True,
        data={"version": _version(project), "confirm": "1"}))
    today = date.today().isoformat()
    for visibility, use_htmx in (("shared", True), ("internal", False)):
        keep(f"{visibility} note", advisor.post(
            f"/projects/{project}/notes", htmx=use_htmx, follow_redirects=not use_htmx, data={
                "kind": "meeting", "happened_on": today, "visibility": visibility,
                "body": mark(f"{visibility} note body") + "\nsecond line"}))
    shared = _first_id("notes", project, visibility="shared")
    version = _note_version(shared)
    for what, status in (("edited note body", 200), ("conflicting note body", 409)):
        keep(what, advisor.post(f"/projects/{project}/notes/{shared}", htmx=True, data={
            "kind": "call", "happened_on": today, "visibility": "shared", "version": version,
            "body": mark(what)}), status)
    # Refused input comes back in its form, with the errors.
    keep("refused next step", advisor.post(f"/projects/{project}/next-steps", htmx=True, data={
        "title": mark("refused next step title", 200), "due_on": "", "assignee_id": 0}), 422)
    keep("refused idea", holder.post("/projects/new", data=factories.complete_idea(
        title=mark("refused idea title", 160), pitch=mark("refused idea pitch", 600),
        need=mark("refused idea need"), commune=mark("refused idea commune", 100),
        jobs_envisaged="many", submit_idea="y")), 422)
    keep("refused move", advisor.post(f"/projects/{project}/move", htmx=True, data={
        "stage_id": data.ids["stage1"], "version": _version(project), "position": "0",
        "comment": mark("refused move comment", 2000)}), 422)
    for who, use_htmx in (("holder", True), ("advisor", False)):
        keep(f"next step for {who}", advisor.post(
            f"/projects/{project}/next-steps", htmx=use_htmx, follow_redirects=not use_htmx,
            data={"title": mark(f"next step title ({who})", 200), "due_on": today,
                  "assignee_id": data.ids[who]}))
    keep("holder's document", holder.post(
        f"/projects/{project}/documents", htmx=True, content_type="multipart/form-data",
        data={"document-file": (io.BytesIO(b"Plan d'affaires\n"),
                                mark("holder document name", 140, payloads=FILE_NAME_PAYLOADS) + ".txt")}))
    keep("internal document", advisor.post(
        f"/projects/{project}/documents", follow_redirects=True,
        content_type="multipart/form-data",
        data={"document-visibility": "internal",
              "document-file": (io.BytesIO(b"Compte rendu\n"),
                                mark("internal document name", 140, payloads=FILE_NAME_PAYLOADS) + ".txt")}))
    for stage, use_htmx in (("stage2", True), ("stage1", False)):
        keep(f"moved to {stage}", advisor.post(
            f"/projects/{project}/move", htmx=use_htmx, follow_redirects=not use_htmx, data={
                "stage_id": data.ids[stage], "version": _version(project),
                "comment": mark(f"move comment to {stage}", 2000)}))
    keep("closed", advisor.post(
        f"/projects/{data.ids['closed']}/close", follow_redirects=True, data={
            "outcome": "redirected", "version": _version(data.ids["closed"]),
            "reason": mark("close reason", 2000),
            "new_partner": mark("body redirected to", 200)}))
    # Referrals: the body created by that close sent the project to the pole (reason, note).
    partner = db.session.scalar(text("SELECT id FROM partners ORDER BY id DESC LIMIT 1"))
    keep("referral added", advisor.post(f"/projects/{project}/referrals", data={
        "partner_id": partner, "direction": "incoming", "referred_on": "2025-01-06",
        "outcome": "pending", "reason": mark("referral reason", 2000),
        "outcome_note": mark("referral note", 2000)}), 303)
    data.ids["referral"] = db.session.scalar(text("SELECT max(id) FROM referrals"))
    keep("paused", advisor.post(
        f"/projects/{data.ids['paused']}/pause", htmx=True, data={
            "version": _version(data.ids["paused"]), "reason": mark("pause reason", 2000)}))
    # The holder edits the description (an event on the timeline).
    response = holder.post(f"/projects/{project}/edit", data=factories.complete_idea(
        title=mark("edited title", 160), pitch=mark("edited pitch", 600),
        need=mark("edited need"), target_public=mark("edited target public"),
        planned_activity=mark("edited planned activity"), commune=mark("edited commune", 100),
        theme_id=str(theme.id), legal_form_id=str(legal_form.id), save_draft="y",
        version=_version(project)))
    assert response.status_code == 303, response.get_data(as_text=True)
    keep("description edited", holder.get(response.location))
    # The other changes, for their messages and fragments (flashes carry names and titles).
    step = _first_id("next_steps", project)
    keep("step done", advisor.post(f"/projects/{project}/next-steps/{step}/done",
                                   follow_redirects=True))
    keep("step open again", advisor.post(f"/projects/{project}/next-steps/{step}/undo",
                                         htmx=True))
    keep("extra note", advisor.post(f"/projects/{project}/notes", htmx=True, data={
        "kind": "other", "happened_on": today, "visibility": "internal",
        "body": mark("deleted note body")}))
    extra_note = db.session.scalars(select(Note.id).order_by(Note.id.desc())).first()
    keep("note deleted", advisor.post(f"/projects/{project}/notes/{extra_note}/delete",
                                      data={"confirm": "1", "version": 1}, htmx=True))
    keep("extra document", advisor.post(
        f"/projects/{project}/documents", htmx=True, content_type="multipart/form-data",
        data={"document-visibility": "shared", "document-file": (
            io.BytesIO(b"Brouillon\n"),
            mark("deleted document name", 140, payloads=FILE_NAME_PAYLOADS) + ".txt")}))
    extra_document = db.session.scalars(select(Document.id).order_by(Document.id.desc())).first()
    keep("document deleted", advisor.post(
        f"/projects/{project}/documents/{extra_document}/delete", htmx=True,
        data={"confirm": "1"}))
    coholder1 = db.session.scalar(select(User.id).where(User.email == "coholder1@example.org"))
    for path, form in ((f"/admin/users/{data.ids['mentor']}/role", {"role": "mentor"}),
                       (f"/admin/users/{coholder1}/active", {"active": "0", "confirm": "1"}),
                       (f"/admin/users/{coholder1}/active", {"active": "1", "confirm": "1"})):
        keep(f"admin {path} {form}", staff.post(path, data=form, follow_redirects=True))
    keep("notifications read", holder.post("/notifications/read", htmx=True, data={"page": 1}))
    # The directory: an organisation with every free text, and a contact person.
    response = advisor.post("/members/new", data={
        "name": mark("organisation name", 200), "family": "association",
        "sector": mark("organisation sector", 100), "commune": mark("organisation commune", 100),
        "skills": mark("organisation skills"), "website": mark("organisation website", 300),
        "notes": mark("organisation notes"), "naf_code": "88.99B", "mentoring_capacity": "1"})
    assert response.status_code == 303, response.get_data(as_text=True)
    keep("organisation created", advisor.get(response.location))
    data.ids["organisation"] = int(response.location.rsplit("/", 1)[1])
    keep("contact added", advisor.post(
        f"/members/{data.ids['organisation']}/contacts", follow_redirects=True, data={
            "contact_name": mark("contact name", 120), "role": mark("contact role", 120),
            "email": "contact@example.org", "phone": mark("contact phone", 40)}))
    # The contact person receives a mentor account (through the member page), mentors the
    # project (the row as the mentoring feature writes it) and writes a note and ticks a step:
    # the crawl's mentor is this account.
    organisation_id = data.ids["organisation"]
    contact = db.session.scalar(select(OrganisationContact).where(
        OrganisationContact.email == "contact@example.org"))
    data.ids["contact"] = contact.id
    keep("mentor account asked", advisor.post(
        f"/members/{organisation_id}/contacts/{contact.id}/mentor-account"), 200)
    keep("mentor account created", advisor.post(
        f"/members/{organisation_id}/contacts/{contact.id}/mentor-account",
        follow_redirects=True, data={"confirm": "1"}))
    contact_account = db.session.scalar(select(User).where(User.email == "contact@example.org"))
    contact_account.password_hash = hash_password(factories.PASSWORD)  # as if they used the link
    db.session.commit()
    keep("mentor's users list", staff.get("/admin/users?role=mentor"))
    data.emails["mentor"] = contact_account.email
    # Mentoring: that organisation mentors the project, with hours and a note.
    # (the link goes through the route, with the contact person who has the mentor account)
    keep("mentor linked", advisor.post(f"/projects/{project}/mentors", data={
        "organisation_id": data.ids["organisation"], "role": "sponsor", "contact_id": contact.id,
        "started_on": "2025-01-06"}), 303)
    mentorship = db.session.scalar(select(Mentorship.id).where(
        Mentorship.organisation_id == data.ids["organisation"]))
    data.ids["mentorship"] = mentorship
    keep("hours logged", advisor.post(f"/projects/{project}/mentors/{mentorship}/hours",
                                      htmx=True, data={"worked_on": "2025-02-03",
                                                       "hours": "1,5",
                                                       "note": mark("hours note", 1000)}))
    # Supports: a partner (its form is another part's; directly here), a support through
    # the adding form, its status moved with a comment.
    partner = Partner(name=mark("partner name", 200), kind="region")
    db.session.add(partner)
    db.session.commit()
    data.ids["partner"] = partner.id
    page = advisor.get(f"/projects/{project}/supports/new").get_data(as_text=True)
    keep("support added", advisor.post(f"/projects/{project}/supports", data={
        "partner_id": partner.id, "kind": "grant", "amount": "12 500,50", "status": "requested",
        "status_on": "2025-02-03", "programme": mark("support programme", 200),
        "comment": mark("support comment", 2000),
        "form_token": re.search(r'name="form_token" value="([^"]+)"', page)[1]}), 303)
    support = data.ids["support"] = db.session.scalar(select(Support.id))
    keep("support status", advisor.post(f"/projects/{project}/supports/{support}/status",
                                        htmx=True, data={
        "to_status": "granted", "changed_on": "2025-03-03", "amount": "12 000",
        "comment": mark("support status comment", 2000), "version": 1}))
    # Accompaniment time (issue 12): logged from the section's form, with a note.
    page = advisor.get(f"/projects/{project}/accompaniment").get_data(as_text=True)
    keep("accompaniment time", advisor.post(f"/projects/{project}/accompaniment", data={
        "spent_on": pole_today().isoformat(), "duration": "1 h 30", "kind": "phone",
        "note": mark("accompaniment note", 2000),
        "form_token": re.search(r'name="form_token" value="([^"]+)"', page)[1]}), 303)
    data.ids["accompaniment"] = db.session.scalar(select(AccompanimentTime.id))

    # Partners: a partner body with every free text and a contact person; the organisation
    # made a partner too; an event of the project concerning the partner.
    response = advisor.post("/partners/new", data={
        "name": mark("partner name", 200), "kind": "bank", "website": mark("partner website", 300),
        "notes": mark("partner notes")})
    assert response.status_code == 303, response.get_data(as_text=True)
    data.ids["partner"] = int(response.location.rsplit("/", 1)[1])
    keep("partner contact added", advisor.post(
        f"/partners/{data.ids['partner']}/contacts", follow_redirects=True, data={
            "contact_name": mark("partner contact name", 120),
            "role": mark("partner contact role", 120), "email": "partner@example.org",
            "phone": mark("partner contact phone", 40)}))
    data.ids["partner_contact"] = db.session.scalar(select(PartnerContact.id))
    keep("organisation made a partner", advisor.post(
        f"/members/{organisation_id}/partner", follow_redirects=True,
        data={"kind": "ess_network"}))
    data.ids["organisation_partner"] = db.session.scalar(
        select(Partner.id).where(Partner.organisation_id == organisation_id))
    db.session.add(ProjectEvent(project_id=project, kind="holder_added",
                                partner_id=data.ids["partner"],
                                detail={"name": mark("partner event name", 120)}))
    db.session.commit()

    # An import of organisations: a hostile file name and cells, through the preview.
    table = io.StringIO()
    csv.writer(table, delimiter=";").writerows([
        ["Nom", "Commune", "Notes"],
        [mark("imported organisation name", 200), mark("imported commune", 100, shown=False),
         mark("imported notes", shown=False)]])
    response = advisor.post("/members/imports", data={"file": (
        io.BytesIO(table.getvalue().encode()),
        mark("import file name", 120, payloads=FILE_NAME_PAYLOADS) + ".csv")})
    assert response.status_code == 303, response.get_data(as_text=True)
    preview = advisor.get(response.location)
    keep("import preview", preview)
    token = re.search(r'name="form_token" value="([^"]+)"', preview.get_data(as_text=True))[1]
    keep("import done", advisor.post(response.location, follow_redirects=True, data={
        "form_token": token}))
    data.ids["import"] = db.session.scalar(select(OrganisationImport.id))

    # Working groups: a group with the organisation and the project, a meeting with
    # minutes and a free-name attendance, all through the forms.
    response = advisor.post("/groups/new", data={
        "name": mark("group name", 160), "kind": "workshop", "theme": mark("group theme", 120),
        "description": mark("group description", 5000)})
    assert response.status_code == 303, response.get_data(as_text=True)
    group = data.ids["group"] = int(response.location.rsplit("/", 1)[1])
    keep("group organisation", advisor.post(f"/groups/{group}/organisations", data={
        "organisation_id": data.ids["organisation"], "joined_on": "2025-01-06"}), 303)
    keep("group project", advisor.post(f"/groups/{group}/projects", data={
        "project_id": project, "joined_on": "2025-01-06"}), 303)
    keep("group meeting", advisor.post(f"/groups/{group}/meetings/new", data={
        "day": "2030-01-15", "starts": "18:30", "place": mark("meeting place", 200),
        "agenda": mark("meeting agenda", 5000), "minutes": mark("meeting minutes", 20000)}),
        303)
    data.ids["meeting"] = db.session.scalar(select(GroupMeeting.id))
    keep("attendance", advisor.post(f"/groups/{group}/meetings/{data.ids['meeting']}"
                                    "/attendance", data={
        "name": mark("attendance name", 120), "status": "present"}), 303)
    build_committees(data, mark, keep, advisor, staff, project)  # committees
    build_checklists(data, mark, keep, advisor, staff, project)  # exit checklists
    # Cohorts (issue 13, part D): a cohort through the managers' form, the project added
    # from the cohort's page.
    page = staff.get("/admin/cohorts").get_data(as_text=True)
    token = re.search(r'name="form_token" value="([^"]+)"', page)[1]
    response = staff.post("/admin/cohorts/new", data={
        "name": mark("cohort name", 160), "name_en": mark("cohort English name", 160),
        "starts_on": "2027-03-01", "ends_on": "2027-06-30",
        "description": mark("cohort description", 5000), "form_token": token})
    assert response.status_code == 303, response.get_data(as_text=True)
    data.ids["cohort"] = db.session.scalar(text("SELECT id FROM cohorts ORDER BY id DESC LIMIT 1"))
    keep("cohort project", advisor.post(f"/cohorts/{data.ids['cohort']}/projects", data={
        "project_id": project}), 303)
    # Territory key figures: the territory's salaried jobs of a year, through the form.
    response = staff.post("/pipeline/territory/employment/new", data={
        "year": "2024", "salaried_jobs": "23 953", "source": mark("territory jobs source", 300)})
    assert response.status_code == 303, response.get_data(as_text=True)
    data.ids["territory_employment"] = db.session.scalar(
        text("SELECT id FROM territory_employment ORDER BY id DESC LIMIT 1"))

    mentor = app.test_client()
    assert mentor.post("/auth/login", data={"email": data.emails["mentor"],
                                            "password": factories.PASSWORD}).status_code == 303
    keep("mentor note", mentor.post(f"/projects/{project}/notes", htmx=True, data={
        "kind": "call", "happened_on": today, "visibility": "internal",
        "body": mark("mentor note body")}))
    keep("next step for the mentor", advisor.post(
        f"/projects/{project}/next-steps", htmx=True, data={
            "title": mark("next step title (mentor)", 200), "due_on": today,
            "assignee_id": contact_account.id}))
    mentor_step = db.session.scalars(select(NextStep.id).order_by(NextStep.id.desc())).first()
    keep("mentor's step done", mentor.post(f"/projects/{project}/next-steps/{mentor_step}/done",
                                           htmx=True))
    # The account page (issue 14): the holder asks that their account be closed, with a
    # reason the managers' list shows.
    keep("closure request", holder.post("/account/closure", htmx=True, data={
        "reason": mark("closure reason"), "confirm": "y"}))
    data.clients.update(holder=holder, mentor=mentor, advisor=advisor, manager=staff)
    data.ids["note"] = _first_id("notes", project)
    data.ids["shared_note"] = _first_id("notes", project, visibility="shared")
    data.ids["document"] = _first_id("documents", project)
    data.ids["next_step"] = _first_id("next_steps", project)
    data.ids["mentor_note"] = _first_id("notes", project, author_id=contact_account.id)
    return data


def _note_version(note_id: int) -> int:
    db.session.expire_all()
    return db.session.get(Note, note_id).version


def _first_id(table: str, project_id: int, **where) -> int:
    from incubator.models import NextStep

    model = {"notes": Note, "documents": Document, "next_steps": NextStep}[table]
    statement = select(model.id).where(model.project_id == project_id).order_by(model.id)
    for column, value in where.items():
        statement = statement.where(getattr(model, column) == value)
    return db.session.scalars(statement).first()


# What ``build_once`` made: per database dialect and kind of markers, every table's rows and
# the HostileData that names them.
_built: dict[tuple[str, type], tuple[dict[str, list[dict]], HostileData]] = {}


def build_once(app: Flask, markers: type[Markers] = Markers) -> HostileData:
    """``build(app, pages=False, markers=markers())`` for tests that only read the data set
    (the browser crawls): the first call of a process builds it through the forms, as
    ``build`` does (its checks included) and keeps a copy of every table; later calls put
    those rows back in ``app``'s database, which ``reset_database`` has just emptied, in
    milliseconds instead of the seconds of ~150 requests. Needs an app context."""
    key = (db.engine.dialect.name, markers)
    if key not in _built:
        data = build(app, pages=False, markers=markers())
        db.session.commit()
        rows = {table.name: [dict(row) for row in db.session.execute(
                    table.select().order_by(*table.primary_key.columns)).mappings()]
                for table in db.metadata.sorted_tables}
        data.clients = {}  # bound to this test's app
        _built[key] = rows, copy.deepcopy(data)
        return data
    rows, data = _built[key]
    for table in reversed(db.metadata.sorted_tables):  # the reference data reset_database made
        db.session.execute(table.delete())
    for table in db.metadata.sorted_tables:  # parents first; users in id order (invited_by)
        if rows[table.name]:
            db.session.execute(table.insert(), rows[table.name])
    if db.engine.dialect.name == "postgresql":  # each sequence after its table's largest id
        for table in db.metadata.sorted_tables:
            (column, *others) = table.primary_key.columns
            if not others and isinstance(column.type, Integer):
                db.session.execute(text(  # names: the models' own tables and columns
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', '{column.name}'),"  # noqa: S608
                    f" COALESCE((SELECT MAX({column.name}) FROM {table.name}), 0) + 1, false)"
                    f" WHERE pg_get_serial_sequence('{table.name}', '{column.name}')"
                    " IS NOT NULL"))
    db.session.commit()
    db.session.expire_all()
    return copy.deepcopy(data)

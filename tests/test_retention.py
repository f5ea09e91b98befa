"""Retention (issue 14): the settings per kind of personal data (/admin/retention, managers
only, version-checked, history), ``flask purge`` on a fixed clock (each kind purged exactly
at its limit, kept a day before; a dry run changes nothing and prints the same counts) and
the privacy notice written from the settings."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from incubator.extensions import db
from incubator.models import (
    AppendOnlyError,
    EmailChange,
    Erasure,
    Job,
    LoginFailure,
    Notification,
    OutgoingMail,
    PasswordToken,
    Project,
    ProjectEvent,
    ProjectHolder,
    PurgeRun,
    RetentionSettings,
    RetentionSettingsVersion,
    StageMove,
    UsedFormToken,
    User,
    UserSession,
)
from incubator.privacy import retention

from . import factories

URL = "/admin/retention"
NOW = datetime(2032, 1, 15, 10, 0, tzinfo=UTC)
DAY = timedelta(days=1)


@pytest.fixture
def clock(monkeypatch):
    """The purge's clock fixed at NOW."""
    monkeypatch.setattr(retention, "now", lambda: NOW)
    return NOW


def _limit(months: int) -> datetime:
    return retention.cutoff(NOW, months)


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _form(version: int = 0, **changes) -> dict:
    data = {"version": str(version)}
    for kind in retention.KINDS:
        years = kind.default % 12 == 0
        data[kind.code] = str(kind.default // 12 if years else kind.default)
        data[f"{kind.code}_unit"] = "years" if years else "months"
    data.update(changes)
    return data


# The clock's arithmetic --------------------------------------------------------------------


def test_a_limit_is_counted_in_calendar_months_back_from_now():
    assert retention.cutoff(NOW, 60) == datetime(2027, 1, 15, 10, 0, tzinfo=UTC)
    assert retention.cutoff(NOW, 1) == datetime(2031, 12, 15, 10, 0, tzinfo=UTC)
    end_of_march = datetime(2032, 3, 31, 8, 0, tzinfo=UTC)
    assert retention.cutoff(end_of_march, 1) == datetime(2032, 2, 29, 8, 0, tzinfo=UTC)
    assert retention.cutoff(end_of_march, 13) == datetime(2031, 2, 28, 8, 0, tzinfo=UTC)


def test_durations_read_in_years_when_whole_and_months_otherwise(app):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert retention.duration_words(60) == "5 years"
        assert retention.duration_words(12) == "1 year"
        assert retention.duration_words(18) == "18 months"
        assert retention.duration_words(1) == "1 month"


# Closed projects: the people erased through the right to erasure ---------------------------


def _closed(holder: User, closed_at: datetime, **kwargs) -> Project:
    project = factories.project(holders=[holder], status="closed", **kwargs)
    project.closed_at = closed_at
    db.session.flush()
    return project


def test_the_holders_of_a_project_closed_exactly_at_the_limit_are_erased(app, clock):
    limit = _limit(60)
    holder = factories.user("holder", name="Yvonne Le Gall", email="yvonne@example.org")
    project = _closed(holder, limit)
    moves = _count(StageMove, StageMove.project_id == project.id)
    db.session.commit()

    report = retention.purge()
    db.session.commit()

    assert report.counts["closed_projects"] == {"people": 1}
    record = db.session.scalar(select(Erasure).where(Erasure.user_id == holder.id))
    assert record is not None and record.erased_by_id is None
    assert report.erased == [record.id]
    user = db.session.get(User, holder.id)
    assert user.name == retention.erasure.pseudonym(record.id)
    assert "yvonne" not in user.email and not user.active
    # The project, its holders and its history stay.
    assert db.session.get(Project, project.id) is not None
    assert _count(ProjectHolder, ProjectHolder.project_id == project.id) == 1
    assert _count(StageMove, StageMove.project_id == project.id) == moves


def test_the_holders_of_a_project_closed_a_day_after_the_limit_are_kept(app, clock):
    holder = factories.user("holder", name="Yvonne Le Gall")
    _closed(holder, _limit(60) + DAY)
    db.session.commit()
    report = retention.purge()
    db.session.commit()
    assert report.counts["closed_projects"] == {"people": 0}
    assert _count(Erasure) == 0 and db.session.get(User, holder.id).name == "Yvonne Le Gall"


def test_a_holder_with_another_project_open_or_closed_recently_is_kept(app, clock):
    limit = _limit(60)
    open_holder = factories.user("holder", name="Alice Open")
    _closed(open_holder, limit - DAY)
    factories.project(holders=[open_holder])
    recent_holder = factories.user("holder", name="Bruno Recent")
    _closed(recent_holder, limit - DAY)
    _closed(recent_holder, limit + DAY)
    draft_holder = factories.user("holder", name="Chloé Draft")
    _closed(draft_holder, limit - DAY)
    factories.project(holders=[draft_holder], status="draft")
    advisor = factories.user("advisor", name="Denis Staff")
    _closed(advisor, limit - DAY)  # staff who wrote a project as its holder
    db.session.commit()

    assert retention.purge().counts["closed_projects"] == {"people": 0}
    assert _count(Erasure) == 0


def test_the_purge_erases_each_person_once(app, clock):
    holder = factories.user("holder")
    _closed(holder, _limit(60) - DAY)
    _closed(holder, _limit(60) - 2 * DAY)
    db.session.commit()
    assert retention.purge().counts["closed_projects"] == {"people": 1}
    db.session.commit()
    again = retention.purge()
    db.session.commit()
    assert again.counts["closed_projects"] == {"people": 0} and again.erased == []
    assert _count(Erasure) == 1


# Drafts ----------------------------------------------------------------------------------------


def test_a_draft_started_exactly_at_the_limit_is_deleted_with_its_rows(app, clock):
    holder = factories.user("holder")
    old = factories.project(holders=[holder], status="draft", title="Vieille idée")
    old.created_at = _limit(12)
    young = factories.project(holders=[holder], status="draft", title="Idée récente")
    young.created_at = _limit(12) + DAY
    submitted = factories.project(holders=[holder], title="Projet soumis")
    submitted.created_at = _limit(12) - DAY
    db.session.commit()
    old_id = old.id

    report = retention.purge()
    db.session.commit()

    assert report.counts["drafts"] == {"projects": 1}
    assert db.session.get(Project, old_id) is None
    assert _count(ProjectHolder, ProjectHolder.project_id == old_id) == 0
    assert _count(ProjectEvent, ProjectEvent.project_id == old_id) == 0
    assert {p.title for p in db.session.scalars(select(Project))} == {
        "Idée récente", "Projet soumis"}
    assert db.session.get(User, holder.id) is not None  # the account stays


# Logins, notifications, mails -----------------------------------------------------------------


def _session(user: User, ended_at: datetime | None, expires_at: datetime) -> UserSession:
    row = UserSession(user_id=user.id, secret_hash="0" * 64, created_at=expires_at - DAY,
                      last_seen_at=expires_at - DAY, expires_at=expires_at, ended_at=ended_at,
                      ended_reason="logout" if ended_at else None)
    db.session.add(row)
    return row


def test_logins_and_links_are_deleted_exactly_at_their_limit(app, clock):
    limit = _limit(1)
    user = factories.user("holder")
    _session(user, limit, limit)
    _session(user, None, limit)  # expired, never ended by a logout
    kept_ended = _session(user, limit + DAY, limit + DAY)
    kept_open = _session(user, None, NOW + DAY)
    db.session.add_all([
        LoginFailure(email="old@example.org", failures=3, last_failure_at=limit),
        LoginFailure(email="young@example.org", failures=3, last_failure_at=limit + DAY),
        PasswordToken(user_id=user.id, kind="reset", token_hash="a" * 64,
                      created_at=limit - DAY, expires_at=limit),
        PasswordToken(user_id=user.id, kind="reset", token_hash="b" * 64,
                      created_at=limit, expires_at=NOW + DAY),
        UsedFormToken(token_hash="c" * 64, user_id=user.id, form="note", created_at=limit),
        UsedFormToken(token_hash="d" * 64, user_id=user.id, form="note",
                      created_at=limit + DAY),
    ])
    db.session.commit()
    kept_ids = {kept_ended.id, kept_open.id}

    report = retention.purge()
    db.session.commit()

    assert report.counts["connections"] == {
        "sessions": 2, "login_failures": 1, "password_links": 1, "email_changes": 0,
        "form_tokens": 1}
    assert set(db.session.scalars(select(UserSession.id))) == kept_ids
    assert list(db.session.scalars(select(LoginFailure.email))) == ["young@example.org"]
    assert list(db.session.scalars(select(PasswordToken.token_hash))) == ["b" * 64]
    assert list(db.session.scalars(select(UsedFormToken.token_hash))) == ["d" * 64]


def test_email_change_requests_are_deleted_with_the_links(app, clock):
    """An e-mail change keeps the address asked for: once confirmed, cancelled or expired it
    goes with the other links, at the « Logins and links » limit; a pending one stays."""
    limit = _limit(1)
    user = factories.user("holder")

    def change(address, **dates):
        return EmailChange(user_id=user.id, new_email=address, token_hash=address.ljust(64, "x"),
                           expires_at=dates.pop("expires_at", NOW + DAY), **dates)

    db.session.add_all([
        change("expired@example.org", expires_at=limit),
        change("confirmed@example.org", confirmed_at=limit),
        change("cancelled@example.org", cancelled_at=limit),
        change("young@example.org", cancelled_at=limit + DAY),
        change("pending@example.org"),
    ])
    db.session.commit()

    report = retention.purge()
    db.session.commit()

    assert report.counts["connections"]["email_changes"] == 3
    assert sorted(db.session.scalars(select(EmailChange.new_email))) == [
        "pending@example.org", "young@example.org"]


def test_read_notifications_and_sent_mails_are_deleted_exactly_at_their_limit(app, clock):
    user = factories.user("holder")
    read_limit, mail_limit = _limit(12), _limit(3)
    db.session.add_all([
        Notification(user_id=user.id, kind="note_shared", created_at=read_limit - DAY,
                     read_at=read_limit),
        Notification(user_id=user.id, kind="note_shared", created_at=read_limit - DAY,
                     read_at=read_limit + DAY),
        Notification(user_id=user.id, kind="note_shared", created_at=read_limit - DAY),
        OutgoingMail(to="a@example.org", subject="Vieux", body="x", sent_at=mail_limit),
        OutgoingMail(to="a@example.org", subject="Récent", body="x",
                     sent_at=mail_limit + DAY),
        OutgoingMail(to="a@example.org", subject="En attente", body="x",
                     created_at=mail_limit - DAY),
        # Given up by the worker (issue 15): kept as long as a sent one.
        OutgoingMail(to="a@example.org", subject="Abandonné", body="x", failed_at=mail_limit),
        OutgoingMail(to="a@example.org", subject="Abandonné récemment", body="x",
                     failed_at=mail_limit + DAY),
    ])
    db.session.commit()

    report = retention.purge()
    db.session.commit()

    assert report.counts["notifications"] == {"notifications": 1}
    assert report.counts["mails"] == {"mails": 2, "failed_jobs": 0}
    assert _count(Notification) == 2 and _count(Notification, Notification.read_at.is_(None)) == 1
    assert set(db.session.scalars(select(OutgoingMail.subject))) == {
        "Récent", "En attente", "Abandonné récemment"}


def test_jobs_the_worker_gave_up_on_go_with_the_mails_setting(app, clock):
    """A failed job (its payload may hold an address typed for a password reset) is kept as
    long as a sent mail, from its failure; a job still due or being retried stays."""
    limit = _limit(3)
    old = limit - timedelta(days=400)
    db.session.add_all([
        Job(kind="password_reset", payload={"email": "a@example.org"}, attempts=6,
            created_at=old, failed_at=limit),
        Job(kind="password_reset", payload={"email": "b@example.org"}, attempts=6,
            created_at=old, failed_at=limit + DAY),
        Job(kind="password_reset", payload={"email": "c@example.org"}, attempts=3,
            created_at=old, next_attempt_at=limit),
    ])
    db.session.commit()

    dry = retention.purge(dry_run=True)
    assert dry.counts["mails"]["failed_jobs"] == 1 and _count(Job) == 3
    report = retention.purge()
    db.session.commit()

    assert report.counts["mails"]["failed_jobs"] == 1
    assert sorted(job.payload["email"] for job in db.session.scalars(select(Job))) == [
        "b@example.org", "c@example.org"]
    assert any(line.startswith("  mails: mails 0, failed jobs 1 ")
               for line in retention.report_lines(report))


def test_the_security_log_file_loses_its_lines_past_the_limit(app, clock, tmp_path):
    limit = _limit(12)
    path = tmp_path / "security.log"

    def line(at: datetime, event: str) -> str:
        return json.dumps({"time": at.isoformat().replace("+00:00", "Z"), "event": event}) + "\n"

    path.write_text(line(limit, "login.failed") + "not json\n"
                    + line(limit + DAY, "login.succeeded"), encoding="utf-8")
    app.config["SECURITY_LOG_FILE"] = str(path)

    dry = retention.purge(dry_run=True)
    assert dry.counts["security_log"] == {"lines": 1}
    assert "login.failed" in path.read_text(encoding="utf-8")

    report = retention.purge()
    db.session.commit()
    assert report.counts["security_log"] == {"lines": 1}
    text = path.read_text(encoding="utf-8")
    assert "login.failed" not in text and "login.succeeded" in text and "not json" in text


# The command: dry run, record, output ---------------------------------------------------------


def _world_to_purge() -> None:
    holder = factories.user("holder", name="Gaëlle Morvan", email="gaelle@example.org")
    _closed(holder, _limit(60) - DAY)
    draft = factories.project(holders=[factories.user("holder")], status="draft")
    draft.created_at = _limit(12) - DAY
    db.session.add(LoginFailure(email="x@example.org", failures=1,
                                last_failure_at=_limit(1) - DAY))
    db.session.commit()


def _snapshot() -> dict:
    return {model.__name__: _count(model) for model in (
        Project, User, Erasure, LoginFailure, Notification, OutgoingMail, UserSession,
        PurgeRun, ProjectEvent)} | {
        "names": sorted(db.session.scalars(select(User.name)))}


def _counts(output: str) -> list[str]:
    return [line.split("[")[0] for line in output.splitlines()[1:]]


def test_the_dry_run_changes_nothing_and_prints_the_counts_the_real_run_applies(
        app, clock, tmp_path):
    app.config["ERASURE_LOG"] = str(tmp_path / "erasures.jsonl")
    security_log = tmp_path / "security.log"
    security_log.write_text(json.dumps({"time": "2031-12-20T10:00:00Z", "event": "login.failed",
                                        "email": "gaelle@example.org"}) + "\n", encoding="utf-8")
    app.config["SECURITY_LOG_FILE"] = str(security_log)
    _world_to_purge()
    before = _snapshot()
    runner = app.test_cli_runner()

    dry = runner.invoke(args=["purge", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "dry run, nothing changed" in dry.output
    db.session.expire_all()
    assert _snapshot() == before

    real = runner.invoke(args=["purge"])
    assert real.exit_code == 0, real.output
    assert _counts(dry.output) == [re.sub(r" \(n° [\d, ]+\)", "", line)
                                   for line in _counts(real.output)]
    assert "closed_projects: people 1 (n° 1)" in real.output
    assert "drafts: projects 1" in real.output
    assert "login failures 1" in real.output
    db.session.expire_all()
    after = _snapshot()
    assert after["Project"] == before["Project"] - 1 and after["Erasure"] == 1
    assert "Gaëlle Morvan" not in after["names"]
    assert [entry["number"] for entry in retention.erasure.read_log()] == [1]
    assert "gaelle@example.org" not in security_log.read_text(encoding="utf-8")
    run = db.session.scalar(select(PurgeRun))
    assert run.ran_at == NOW
    assert run.counts["closed_projects"]["total"] == 1 and run.counts["drafts"]["total"] == 1

    again = runner.invoke(args=["purge"])
    assert "people 0" in again.output and "projects 0" in again.output
    assert _count(PurgeRun) == 2


def test_a_purge_record_is_never_changed(app, clock):
    retention.purge()
    db.session.commit()
    run = db.session.scalar(select(PurgeRun))
    run.counts = {}
    with pytest.raises(AppendOnlyError):
        db.session.flush()
    db.session.rollback()


def test_the_purge_follows_the_saved_settings(app, clock):
    manager = factories.user("manager")
    holder = factories.user("holder")
    _closed(holder, _limit(24) - DAY)  # 2 years ago: kept by the default 5 years
    db.session.commit()
    assert retention.purge(dry_run=True).counts["closed_projects"] == {"people": 0}
    retention.save_settings(manager, 0, {"closed_projects": 24})
    db.session.commit()
    assert retention.purge(dry_run=True).counts["closed_projects"] == {"people": 1}


# The settings page -------------------------------------------------------------------------


def test_a_manager_sees_the_default_periods(client, login):
    login("manager")
    response = client.get(URL)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "HX-Request" in response.vary
    assert 'id="retention-settings"' in html and 'aria-current="page">Privacy</a>' in html
    assert 'name="closed_projects" type="text" value="5"' in html.replace(
        ' inputmode="numeric"', "").replace(' autocomplete="off"', "") or \
        re.search(r'name="closed_projects"[^>]*value="5"', html)
    assert re.search(r'<option selected value="years">|<option value="years" selected', html)
    assert 'name="version" type="hidden" value="0"' in html


def test_the_form_comes_alone_to_htmx(client, login):
    login("manager")
    response = client.get(URL, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert html.lstrip().startswith("<div id=\"retention-settings\"") or \
        'id="retention-settings"' in html.split(">")[0] + ">"


@pytest.mark.parametrize("role", ["advisor", "mentor", "holder"])
def test_only_managers_see_or_save_the_periods(client, login, role):
    login(role)
    assert client.get(URL).status_code == 403
    assert client.post(URL, data=_form(drafts="2")).status_code == 403
    assert _count(RetentionSettings) == 0


def test_an_anonymous_visitor_is_sent_to_the_login(client):
    response = client.get(URL)
    assert response.status_code in (302, 303) and "/auth/login" in response.headers["Location"]


@pytest.mark.parametrize("htmx", [False, True])
def test_a_manager_saves_the_periods_and_the_history_says_who(client, login, htmx):
    manager = login("manager")
    response = client.post(URL, data=_form(closed_projects="3", drafts="18",
                                           drafts_unit="months"), htmx=htmx)
    if htmx:
        assert response.status_code == 204 and response.headers["HX-Redirect"].endswith(URL)
    else:
        assert response.status_code == 303 and response.headers["Location"].endswith(URL)
    settings = retention.current_settings()
    assert settings.version == 1
    assert settings.months["closed_projects"] == 36 and settings.months["drafts"] == 18
    version = db.session.scalar(select(RetentionSettingsVersion))
    assert version.changed_by_id == manager.id
    assert version.changed_fields == "closed_projects,drafts"
    html = client.get(URL).get_data(as_text=True)
    assert "The retention periods are saved" in html
    assert manager.name in html and "closed projects, ideas never submitted" in html


def test_saving_the_same_periods_writes_nothing(client, login):
    login("manager")
    client.post(URL, data=_form(drafts="2"))
    response = client.post(URL, data=_form(version=1, drafts="2"), follow_redirects=True)
    assert "Nothing changed" in response.get_data(as_text=True)
    assert _count(RetentionSettingsVersion) == 1


@pytest.mark.parametrize("htmx", [False, True])
@pytest.mark.parametrize(("changes", "message"), [
    ({"closed_projects": "50"}, "Choose a duration between 1 year and 20 years."),
    ({"closed_projects": "11", "closed_projects_unit": "months"},
     "Choose a duration between 1 year and 20 years."),
    ({"drafts": "0"}, "Choose a duration between 1 month and 5 years."),
    ({"mails": "abc"}, "Enter a whole number, like 5."),
    ({"mails": "-3"}, "Enter a whole number, like 5."),
    ({"mails": "9" * 5000}, "Enter a whole number, like 5."),
    ({"security_log": ""}, "Enter a duration."),
    ({"security_log_unit": "weeks"}, "Choose one of the options offered"),
])
def test_a_bad_period_is_refused_with_a_message_and_the_input_kept(client, login, htmx,
                                                                    changes, message):
    login("manager")
    response = client.post(URL, data=_form(**changes), htmx=htmx)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in html and 'id="retention-settings"' in html
    assert ("<html" in html) is not htmx
    assert _count(RetentionSettings) == 0


@pytest.mark.parametrize("htmx", [False, True])
def test_a_save_from_an_old_page_is_a_conflict_that_keeps_the_input(client, login, htmx):
    other = factories.user("manager")
    db.session.commit()
    retention.save_settings(other, 0, {"mails": 6})
    db.session.commit()
    login("manager")
    response = client.post(URL, data=_form(version=0, drafts="4", drafts_unit="years"),
                           htmx=htmx)
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Someone changed this since you opened it." in html
    assert "6 months after sending" in html  # what is saved now
    assert re.search(r'name="drafts"[^>]*value="4"', html)  # what was typed
    assert 'name="version" type="hidden" value="1"' in html
    assert retention.current_settings().months["drafts"] == 12
    again = client.post(URL, data=_form(version=1, drafts="4", drafts_unit="years"))
    assert again.status_code == 303
    assert retention.current_settings().months == {**retention.defaults(), "drafts": 48}


def test_a_save_without_its_version_is_refused(client, login):
    login("manager")
    data = _form(drafts="2")
    del data["version"]
    assert client.post(URL, data=data).status_code == 409
    assert _count(RetentionSettings) == 0


def test_the_service_refuses_a_period_out_of_bounds(app):
    manager = factories.user("manager")
    with pytest.raises(ValueError):
        retention.save_settings(manager, 0, {"closed_projects": 6})
    with pytest.raises(ValueError):
        retention.save_settings(manager, 0, {"unknown": 6})


def test_a_settings_version_is_never_changed(app):
    manager = factories.user("manager")
    retention.save_settings(manager, 0, {"mails": 6})
    row = db.session.scalar(select(RetentionSettingsVersion))
    row.mails_months = 7
    with pytest.raises(AppendOnlyError):
        db.session.flush()
    db.session.rollback()


# The privacy notice ------------------------------------------------------------------------


def test_the_privacy_notice_shows_the_periods_in_force(client):
    html = client.get("/privacy", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Closed projects: 5 years after the closure of the project" in html
    assert "Ideas never submitted: 1 year after they were started" in html
    assert "Sent e-mails: 3 months after sending" in html
    assert "Security log: 1 year after the event" in html


def test_the_privacy_notice_changes_when_a_period_changes(client, login):
    login("manager")
    client.post(URL, data=_form(closed_projects="10", mails="6", mails_unit="months"))
    html = client.get("/privacy").get_data(as_text=True)
    assert "10 years after the closure of the project" in html
    assert "6 months after sending" in html
    assert "5 years after the closure" not in html


def test_the_privacy_notice_is_french_by_default(client):
    html = client.get("/privacy", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "5\u00a0ans après la clôture du projet" in html or "5 ans après la clôture du projet" in html

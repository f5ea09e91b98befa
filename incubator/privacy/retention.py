"""Retention (issue 14): how long each kind of personal data is kept, and the purge that
applies it (``flask --app incubator purge``, daily from cron: docs/retention.md).

Each kind of data (``KINDS``) has a duration in months that managers set on
/admin/retention (``save_settings``, version-checked, each save kept in
``RetentionSettingsVersion``), bounded by the kind's ``minimum`` and ``maximum``; the
defaults apply while nobody has saved. ``purge(dry_run)`` finds, for each kind, what is older
than its limit at ``now()`` and deletes it (or, for closed projects, erases the people through
the right to erasure's service, ``privacy.erasure``); a dry run counts the same and changes
nothing. The privacy notice (/privacy) is written from the same ``KINDS`` and durations
(``notice_lines``), so what it promises is what the purge does.

Limits are calendar months back from ``now()``: with 12 months, a row of 2 March 2025 at
10:00 is purged from 2 March 2026 at 10:00 on (``cutoff``). A row exactly at its limit is
purged; a second younger, kept. The clock is ``now()``, the one function tests fix.

Sources of the defaults: CNIL, « Les durées de conservation des données » (référentiel
« gestion des activités commerciales » and recommendation on logs: 6 months to 1 year for
security logs), and the five years of reporting a pole owes its funders after a project's
support ends.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import Select, Table, and_, delete, exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from ..extensions import db
from ..models import (
    RETENTION_KINDS,
    EmailChange,
    Erasure,
    Job,
    LoginFailure,
    Notification,
    OutgoingMail,
    PasswordToken,
    Project,
    ProjectHolder,
    ProjectStatus,
    PurgeRun,
    RetentionSettings,
    RetentionSettingsVersion,
    UsedFormToken,
    User,
    UserSession,
    utcnow,
)
from ..permissions import erased_with_their_projects
from ..security_log import record
from ..versions import StaleVersion, save_version
from . import erasure


def now() -> datetime:
    """The purge's and the notice's clock (aware UTC): the one function tests fix."""
    return utcnow()


@dataclass(frozen=True)
class Kind:
    """A kind of personal data with a retention duration: its ``code`` (a column
    ``<code>_months``), default, minimum and maximum in months, its label, what it covers
    and the event the duration counts from (for the settings and the privacy notice)."""

    code: str
    default: int
    minimum: int
    maximum: int
    label: Callable[[], str]
    covers: Callable[[], str]
    after: Callable[[int], str]  # "5 years after the project's closure", from the months


def duration_words(months: int) -> str:
    """A duration in words: "5 years", "18 months", "1 year" (« 5 ans », « 18 mois »)."""
    if months % 12 == 0:
        years = months // 12
        return ngettext("%(num)d year", "%(num)d years", years)
    return ngettext("%(num)d month", "%(num)d months", months)


KINDS: tuple[Kind, ...] = (
    Kind("closed_projects", 60, 12, 240, _l("Closed projects"),
         lambda: _("The personal data of the people of a closed project (its holders' "
                   "accounts, names and e-mail addresses, the documents they uploaded): they "
                   "are then erased and named « Personne supprimée n° N » in the history, "
                   "unless they have another project still open or closed more recently. The "
                   "project itself, its history and its figures stay, without their identity."),
         lambda m: _("%(duration)s after the closure of the project", duration=duration_words(m))),
    Kind("drafts", 12, 1, 60, _l("Ideas never submitted"),
         lambda: _("Project ideas left as drafts and never submitted to the pole are deleted, "
                   "with their documents."),
         lambda m: _("%(duration)s after they were started", duration=duration_words(m))),
    Kind("connections", 1, 1, 12, _l("Logins and links"),
         lambda: _("Failed login attempts, ended or expired login sessions (browser, address), "
                   "used or expired password links, requests to change an e-mail address once "
                   "confirmed, cancelled or expired (with the address asked for), and the "
                   "record of forms already sent."),
         lambda m: _("%(duration)s after the session ended or the attempt",
                     duration=duration_words(m))),
    Kind("notifications", 12, 1, 60, _l("Read notifications"),
         lambda: _("Notifications shown in the application once they have been read."),
         lambda m: _("%(duration)s after they were read", duration=duration_words(m))),
    Kind("mails", 3, 1, 24, _l("Sent e-mails"),
         lambda: _("The copy of each e-mail the application sent (recipient, subject, text)."),
         lambda m: _("%(duration)s after sending", duration=duration_words(m))),
    Kind("security_log", 12, 1, 36, _l("Security log"),
         lambda: _("The security log: logins, logouts, changes of rights and passwords, with "
                   "the address and browser they came from."),
         lambda m: _("%(duration)s after the event", duration=duration_words(m))),
)
KIND_BY_CODE = {kind.code: kind for kind in KINDS}
assert tuple(KIND_BY_CODE) == RETENTION_KINDS  # one list of kinds, the model's columns


# -- The settings ------------------------------------------------------------------------

@dataclass(frozen=True)
class Settings:
    """The durations in force, in months per kind code; ``version`` 0 while nobody saved
    (the defaults), with who saved last and when."""

    months: dict[str, int]
    version: int = 0
    updated_at: datetime | None = None
    updated_by_id: int | None = None


def defaults() -> dict[str, int]:
    return {kind.code: kind.default for kind in KINDS}


def current_settings() -> Settings:
    """The durations in force (one statement)."""
    row = db.session.get(RetentionSettings, 1)
    if row is None:
        return Settings(defaults())
    return Settings({kind.code: getattr(row, f"{kind.code}_months") for kind in KINDS},
                    row.version, row.updated_at, row.updated_by_id)


def out_of_range(code: str, months: int) -> bool:
    kind = KIND_BY_CODE[code]
    return not kind.minimum <= months <= kind.maximum


def save_settings(by: User, seen_version: int | None, months: dict[str, int]) -> list[str]:
    """Save the durations (months per kind code, each within its kind's bounds) from the
    version the manager saw (0: never saved). Returns the codes changed (empty: nothing
    written). Raises ``StaleVersion`` when someone saved since, ``ValueError`` for a kind
    unknown or a duration out of its bounds (the form checks them first)."""
    for code, value in months.items():
        if code not in KIND_BY_CODE or out_of_range(code, value):
            raise ValueError(f"retention {code}: {value} months out of bounds")
    before = current_settings()
    if before.version != seen_version:
        raise StaleVersion()
    values = {**before.months, **months}
    changed = [code for code in RETENTION_KINDS if values[code] != before.months[code]]
    row = db.session.get(RetentionSettings, 1)
    if not changed:
        return []
    columns = {f"{code}_months": values[code] for code in RETENTION_KINDS}
    if row is None:
        try:
            with db.session.begin_nested():
                db.session.add(RetentionSettings(id=1, version=1, updated_at=utcnow(),
                                                 updated_by_id=by.id, **columns))
        except IntegrityError:  # another manager's first save, at the same instant
            raise StaleVersion() from None
        version = 1
    else:
        version = save_version(row, seen_version, updated_at=utcnow(), updated_by_id=by.id,
                               **columns)
    db.session.add(RetentionSettingsVersion(version=version, changed_fields=",".join(changed),
                                            changed_by_id=by.id, **columns))
    db.session.flush()
    return changed


def history(limit: int = 10) -> list[RetentionSettingsVersion]:
    """The latest saves, newest first, with who saved them (one statement)."""
    from sqlalchemy.orm import joinedload

    return list(db.session.scalars(
        select(RetentionSettingsVersion).options(joinedload(RetentionSettingsVersion.changed_by))
        .order_by(RetentionSettingsVersion.id.desc()).limit(limit)))


def last_run() -> PurgeRun | None:
    return db.session.scalar(select(PurgeRun).order_by(PurgeRun.id.desc()).limit(1))


# -- What the privacy notice says ---------------------------------------------------------

@dataclass(frozen=True)
class NoticeLine:
    label: str
    covers: str
    duration: str  # "5 years after the closure of the project"


def notice_lines(settings: Settings | None = None) -> list[NoticeLine]:
    """Each kind with what it covers and its duration in words, in the interface's language
    (the privacy notice and the settings page)."""
    settings = settings or current_settings()
    return [NoticeLine(str(kind.label), kind.covers(), kind.after(settings.months[kind.code]))
            for kind in KINDS]


# -- The purge -----------------------------------------------------------------------------

def cutoff(at: datetime, months: int) -> datetime:
    """``at`` moved back ``months`` calendar months (the 31st becomes the month's last day):
    anything dated at or before it is past a limit of ``months``."""
    month_index = at.year * 12 + at.month - 1 - months
    year, month = divmod(month_index, 12)
    month += 1
    last_day = (datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=at.tzinfo)
                - timedelta(days=1)).day
    return at.replace(year=year, month=month, day=min(at.day, last_day))


@dataclass
class PurgeReport:
    """What a purge did (or, dry, would do): ``counts`` per kind code and, within a kind,
    per part (``sessions``, ``login_failures``…); ``erased``: the pseudonym numbers given;
    ``cutoffs``: the limit of each kind; ``security_log``: the file pruned, or None."""

    at: datetime
    dry_run: bool
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    cutoffs: dict[str, datetime] = field(default_factory=dict)
    erased: list[int] = field(default_factory=list)
    security_log: str | None = None
    # The people erased, with the identity to redact from the security log file after the
    # commit (in memory only, never printed nor stored).
    erased_people: list[tuple[int, erasure.Person]] = field(default_factory=list, repr=False)

    def total(self, code: str) -> int:
        return sum(self.counts.get(code, {}).values())


def _count(statement: Select) -> int:
    return db.session.scalar(select(func.count()).select_from(statement.subquery())) or 0


def _apply(report: PurgeReport, code: str, part: str, model, condition) -> None:
    """Count (dry run) or delete the rows of ``model`` matching ``condition``."""
    if report.dry_run:
        number = _count(select(*model.__table__.primary_key.columns).where(condition))
    else:
        number = db.session.execute(
            delete(model).where(condition).execution_options(synchronize_session=False)
        ).rowcount or 0
    report.counts.setdefault(code, {})[part] = number


def _delete_with_dependents(table: Table, condition, depth: int = 0) -> None:
    """Delete the rows of ``table`` matching ``condition`` and, first, every row that
    depends on them through a foreign key: deleted in turn (``ON DELETE CASCADE``, or no
    rule: a draft's rows belong to it), or set to NULL (``ON DELETE SET NULL``). Done here
    rather than by the database because SQLite enforces no foreign key; history rows go
    with their project, as the database's own cascade would take them."""
    if depth > 8:
        raise RuntimeError(f"foreign keys too deep below {table.name}")
    for other in db.metadata.sorted_tables:
        for key in other.foreign_keys:
            if key.column.table is not table or other is table:
                continue
            match = key.parent.in_(select(key.column).where(condition))
            if (key.ondelete or "").upper() == "SET NULL":
                db.session.execute(update(other).where(match).values({key.parent.name: None}))
            else:
                _delete_with_dependents(other, match, depth + 1)
    db.session.execute(delete(table).where(condition))


def people_of_closed_projects(limit: datetime) -> list[int]:
    """The ids of the holder accounts to erase: holders of a project closed at or before
    ``limit`` who hold no project that is not closed (draft, active, paused) nor closed after
    ``limit``, are holders (never staff or mentors: their accounts are not only about those
    projects) and are not erased yet. Sorted."""
    other = aliased(ProjectHolder)
    other_project = aliased(Project)
    still_held = exists(
        select(other.project_id).join(other_project, other_project.id == other.project_id)
        .where(other.user_id == ProjectHolder.user_id,
               or_(other_project.status != ProjectStatus.CLOSED.value,
                   other_project.closed_at.is_(None), other_project.closed_at > limit)))
    erased = exists(select(Erasure.id).where(Erasure.user_id == ProjectHolder.user_id))
    statement = (
        select(ProjectHolder.user_id).distinct()
        .join(Project, Project.id == ProjectHolder.project_id)
        .join(User, User.id == ProjectHolder.user_id)
        .where(Project.status == ProjectStatus.CLOSED.value, Project.closed_at <= limit,
               erased_with_their_projects(), ~still_held, ~erased)
        .order_by(ProjectHolder.user_id))
    return list(db.session.scalars(statement))


def erase_by_the_pole(user_id: int) -> tuple[Erasure, erasure.Person]:
    """Erase a holder whose retention period ended: the right to erasure's service with no
    manager (``erased_by`` empty: the erasure log says « by the retention rule »), every
    document they uploaded removed. Adapter over ``erasure._erase``: the public ``erase``
    requires a manager (see the report of the retention part). Flushes; the caller commits
    and then appends the record to the erasure log (``erasure.append_to_log``)."""
    user = db.session.get(User, user_id)
    person = erasure.person_for_user(user)
    outcome = erasure._erase(person, None, kept_document_ids=set())  # noqa: SLF001
    record = db.session.get(Erasure, outcome.number)
    erasure._keep_mentions(record, outcome)  # noqa: SLF001
    return record, person


def _security_log_lines(path: str, limit: datetime) -> tuple[list[str], int]:
    """The lines of the security log file to keep, and how many are older than ``limit``.
    A line that is not an entry with a readable ``time`` is kept."""
    kept: list[str] = []
    old = 0
    with open(path, encoding="utf-8") as file:
        for line in file:
            try:
                time = datetime.fromisoformat(json.loads(line)["time"].replace("Z", "+00:00"))
            except (ValueError, KeyError, TypeError, AttributeError):
                kept.append(line)
                continue
            if time.tzinfo is None:
                time = time.replace(tzinfo=UTC)
            if time <= limit:
                old += 1
            else:
                kept.append(line)
    return kept, old


def _purge_security_log(report: PurgeReport, limit: datetime) -> None:
    """The security log is written by the ``incubator.security`` logger, not to the database:
    when ``SECURITY_LOG_FILE`` names its file, its older lines are removed (rewritten whole,
    then renamed over it); else the host's log rotation keeps it (docs/retention.md)."""
    path = current_app.config.get("SECURITY_LOG_FILE") or ""
    if not path or not os.path.exists(path):
        report.counts["security_log"] = {}
        return
    report.security_log = path
    kept, old = _security_log_lines(path, limit)
    report.counts["security_log"] = {"lines": old}
    if old and not report.dry_run:
        temporary = f"{path}.purging"
        with open(temporary, "w", encoding="utf-8") as file:
            file.writelines(kept)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)


def purge(dry_run: bool = False, at: datetime | None = None) -> PurgeReport:
    """Apply every retention setting at ``at`` (default ``now()``). Flushes; the caller
    commits, then appends ``report.erased`` to the erasure log (``log_erasures``). A real run
    appends a ``PurgeRun``; a dry run writes nothing (the security log file included) and
    counts the same. Running it twice at once purges nothing the second time."""
    at = at or now()
    settings = current_settings()
    report = PurgeReport(at=at, dry_run=dry_run)
    limits = {code: cutoff(at, months) for code, months in settings.months.items()}
    report.cutoffs = limits

    limit = limits["closed_projects"]
    people = people_of_closed_projects(limit)
    if not dry_run:
        for user_id in people:
            erased, person = erase_by_the_pole(user_id)
            report.erased.append(erased.id)
            report.erased_people.append((erased.id, person))
    report.counts["closed_projects"] = {"people": len(people)}

    drafts = and_(Project.status == ProjectStatus.DRAFT.value,
                  Project.created_at <= limits["drafts"])
    report.counts["drafts"] = {"projects": _count(select(Project.id).where(drafts))}
    if not dry_run and report.counts["drafts"]["projects"]:
        _delete_with_dependents(Project.__table__, drafts)

    limit = limits["connections"]
    _apply(report, "connections", "sessions", UserSession, or_(
        UserSession.ended_at <= limit,
        and_(UserSession.ended_at.is_(None), UserSession.expires_at <= limit,
             or_(UserSession.remember_expires_at.is_(None),
                 UserSession.remember_expires_at <= limit))))
    _apply(report, "connections", "login_failures", LoginFailure,
           LoginFailure.last_failure_at <= limit)
    _apply(report, "connections", "password_links", PasswordToken,
           or_(PasswordToken.used_at <= limit, PasswordToken.expires_at <= limit))
    _apply(report, "connections", "email_changes", EmailChange, or_(
        EmailChange.expires_at <= limit, EmailChange.confirmed_at <= limit,
        EmailChange.cancelled_at <= limit))
    _apply(report, "connections", "form_tokens", UsedFormToken, UsedFormToken.created_at <= limit)

    _apply(report, "notifications", "notifications", Notification,
           Notification.read_at <= limits["notifications"])
    # A mail the worker gave up on (issue 15) is kept as long as a sent one, and so is a
    # job it gave up on (its payload may hold an address typed for a password reset): both
    # counted from their ``failed_at``. Jobs due or being retried stay, like unsent mails.
    _apply(report, "mails", "mails", OutgoingMail, or_(
        OutgoingMail.sent_at <= limits["mails"], OutgoingMail.failed_at <= limits["mails"]))
    _apply(report, "mails", "failed_jobs", Job, Job.failed_at <= limits["mails"])
    _purge_security_log(report, limits["security_log"])

    if not dry_run:
        db.session.add(PurgeRun(ran_at=at, counts={
            code: {"total": report.total(code), **parts}
            for code, parts in report.counts.items()}))
    db.session.flush()
    return report


def after_commit(report: PurgeReport) -> None:
    """After the purge's commit, what the right to erasure does after a manager's: each
    erasure appended to the erasure log (replayed after a restore, docs/erasure.md), a
    ``person.erased`` security event (``by_id`` None, ``reason`` retention), and the person's
    name and address replaced in the security log file when there is one. Then the run's
    ``retention.purged`` event. Raises ``OSError`` when the erasure log cannot be written."""
    path = current_app.config.get("SECURITY_LOG_FILE") or ""
    for number, person in report.erased_people:
        erasure.append_to_log(db.session.get(Erasure, number))
        record("person.erased", number=number, kind=person.kind, by_id=None,
               reason="retention")
        if path and os.path.exists(path):
            erasure.redact_security_log(path, person, number)
    record("retention.purged", counts={code: report.total(code) for code in report.counts})


def report_lines(report: PurgeReport) -> list[str]:
    """What ``flask purge`` prints (English, like the other commands): a heading, then one
    line per kind with its limit and the rows it deleted (people erased for closed
    projects); a dry run prints the same counts under its own heading."""
    stamp = report.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [f"Purge at {stamp}: "
             + ("dry run, nothing changed; these would be deleted or erased:"
                if report.dry_run else "deleted or erased:")]
    for kind in KINDS:
        limit = report.cutoffs[kind.code].astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
        parts = report.counts.get(kind.code, {})
        if kind.code == "security_log" and report.security_log is None:
            what = ("not a file of this application (SECURITY_LOG_FILE unset): "
                    "its rotation keeps it (docs/retention.md)")
        else:
            what = ", ".join(f"{part.replace('_', ' ')} {number}"
                             for part, number in parts.items())
        if kind.code == "closed_projects" and report.erased:
            what += f" (n° {', '.join(map(str, report.erased))})"
        lines.append(f"  {kind.code}: {what} [older than {limit}]")
    return lines

"""Benchmark of the managers' review: the pipeline page, the funders' report, the territory
key figures and an export, on a large history.

For each size N given with ``--projects`` (default 10,000), builds a fresh database (SQLite
in a temporary file, or the PostgreSQL database named by ``INCUBATOR_DATABASE_URL``, emptied
first) holding N submitted projects over the last three years with about ten stage moves
each (some backward), pauses, reopenings and closings with outcomes, supports with their
status histories, accompaniment time, mentoring hours, referrals, overdue next steps and a
directory of organisations, all inserted in bulk (Core ``executemany``). Then, logged in as
a manager through the real form, it measures through the WSGI stack (Flask's test client:
routing, session, templates and SQL all count) the median and p90 time and the SQL
statements of each page in ``PAGES``.

Run from the repository root with the virtualenv's Python::

    .venv/bin/python bench/pipeline.py                      # 10,000 projects, SQLite
    .venv/bin/python bench/pipeline.py --projects 1000,10000 --json
    INCUBATOR_DATABASE_URL=postgresql+psycopg://root@127.0.0.1:5432/bench \\
        .venv/bin/python bench/pipeline.py --projects 1000,10000

See docs/performance.md ("Managers' review") for results and targets.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import insert, select, text

# Run as a script (``python bench/pipeline.py``), it reuses bench/common.py's helpers.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (  # noqa: E402
    CSRF_INPUT,
    FIRST_NAMES,
    LAST_NAMES,
    PASSWORD,
    PROJECT_NAMES,
    bench_config,
    counting_statements,
    database_url,
    database_version,
    empty_database,
    percentile,
    print_machine,
    sizes,
    timed,
)
from incubator import (
    create_app,  # noqa: E402
    stage_flow,
)
from incubator.extensions import db
from incubator.models import (
    AccompanimentTime,
    Cohort,
    CohortProject,
    LegalForm,
    MentoringHours,
    Mentorship,
    NextStep,
    Organisation,
    Partner,
    Project,
    ProjectHolder,
    Referral,
    Role,
    Stage,
    StageMove,
    StatusChange,
    Support,
    SupportStatusChange,
    Theme,
    User,
)
from incubator.passwords import hash_password
from incubator.reference import TERRITORY_COMMUNES, seed_reference_data
from incubator.stage_history import chain_left_at, fill_paused_days
from incubator.text import search_key

MANAGER_EMAIL = "manager@bench.example.org"
ADVISORS = 6
YEARS = 3  # the history spans the last three years
MOVES = 10  # stage moves per project, the submission included
TARGET_SIZE, TARGET_MS = 10_000, 250.0
BATCH = 5_000  # rows per executemany
SECTORS = ("Alimentation", "Culture", "Éducation", "Environnement", "Habitat", "Insertion",
           "Mobilité", "Santé", "Services à la personne", "Sport")
FAMILIES = (("association", 0.85), ("cooperative", 0.10), ("mutual", 0.02),
            ("foundation", 0.01), ("esus_company", 0.02))
BANDS = ("NN", "00", "01", "02", "03", "11", "12", "21", "22")
PARTNER_KINDS = ("commune", "intercommunalite", "departement", "region", "state",
                 "solidarity_funder", "bank", "ess_network", "foundation", "other")
SUPPORT_KINDS = ("grant", "loan", "honour_loan", "guarantee", "premises", "expertise")
ACCOMPANIMENT_KINDS = ("individual_meeting", "collective_workshop", "phone", "video", "on_site")


# --- Data -----------------------------------------------------------------------------------


def _insert(model, rows: list[dict]) -> list[int]:
    """Insert ``rows`` in batches; return their new ids in order when the table has one."""
    table = model.__table__
    ids: list[int] = []
    has_id = "id" in table.c
    for start in range(0, len(rows), BATCH):
        chunk = rows[start:start + BATCH]
        if has_id:
            statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
            ids += db.session.execute(statement, chunk).scalars()
        else:
            db.session.execute(insert(table), chunk)
    return ids


def _person(n: int) -> str:
    return f"{FIRST_NAMES[n % len(FIRST_NAMES)]} {LAST_NAMES[n // 7 % len(LAST_NAMES)]}"


def _users(now: datetime, projects: int) -> tuple[int, list[int], list[int]]:
    """The manager who logs in, advisors, holders: (manager id, advisor ids, holder ids)."""
    password_hash = hash_password(PASSWORD)

    def user(email: str, name: str, role: Role, password: str | None = None) -> dict:
        return {"email": email, "name": name, "name_key": search_key(name), "role": role.value,
                "active": True, "password_hash": password, "created_at": now,
                "email_notifications": False}

    staff = [user(MANAGER_EMAIL, "Gaëlle Manager", Role.MANAGER, password_hash)]
    staff += [user(f"advisor{n}@bench.example.org", _person(n + 3), Role.ADVISOR)
              for n in range(ADVISORS)]
    staff_ids = _insert(User, staff)
    holder_ids = _insert(User, [user(f"holder{n}@bench.example.org", _person(n), Role.HOLDER)
                                for n in range(max(1, projects // 3))])
    return staff_ids[0], staff_ids[1:], holder_ids


def _directory(rng: random.Random, now: datetime, size: int) -> tuple[list[int], list[int]]:
    """``size`` organisations (the territory's ESS establishments) and 40 partners, a third
    of them organisations: (organisation ids, partner ids)."""
    families, weights = zip(*FAMILIES, strict=True)
    rows = []
    for n in range(size):
        commune = rng.choice(TERRITORY_COMMUNES)
        sector = rng.choice(SECTORS)
        name = f"{rng.choice(PROJECT_NAMES)} {n + 1}"
        exact = rng.random() < 0.4
        created = now - timedelta(days=rng.uniform(0, 6 * 365))
        rows.append({
            "name": name, "name_key": search_key(name), "family": rng.choices(families, weights)[0],
            "sector": sector, "sector_key": search_key(sector), "commune": commune,
            "commune_key": search_key(commune), "search_text": search_key(f"{name} {commune}"),
            "headcount": rng.randint(0, 60) if exact else None,
            "headcount_band": "" if exact else rng.choice(BANDS),
            "employer": rng.random() < 0.7, "is_member": rng.random() < 0.15,
            "created_at": created, "updated_at": created,
            "archived_at": now - timedelta(days=rng.uniform(0, 365)) if rng.random() < 0.05
            else None,
        })
    organisation_ids = _insert(Organisation, rows)
    partners = []
    for n in range(40):
        name = f"Partenaire {n + 1}"
        partners.append({"name": name, "name_key": search_key(name), "search_text": search_key(name),
                         "kind": PARTNER_KINDS[n % len(PARTNER_KINDS)], "created_at": now,
                         "organisation_id": organisation_ids[n] if n % 3 == 0 else None})
    return organisation_ids, _insert(Partner, partners)


def _history(rng: random.Random, now: datetime, stages: list[int],
             advisor: int, moves_count: int = MOVES, ending: str | None = None) -> dict[str, Any]:
    """One project's life: submission, ``moves_count`` moves in all (a random walk, mostly
    forward), pauses, reopenings and closings. ``ending`` ("active", "paused", "closed")
    forces how it ends (None: at random, 35 % closed and 10 % paused). Returns its moves,
    status changes and final state."""
    submitted = now - timedelta(days=rng.uniform(20, YEARS * 365))
    span = (now - submitted).total_seconds()
    # Event instants, in order: the submission then moves_count - 1 moves, then maybe a closing.
    instants = sorted(submitted + timedelta(seconds=rng.uniform(0, span * 0.9))
                      for _ in range(moves_count - 1))
    moves = [{"from_stage_id": None, "to_stage_id": stages[0], "moved_at": submitted,
              "moved_by_id": advisor, "comment": None}]
    index = 0
    for at in instants:
        if index == len(stages) - 1:
            step = -1
        elif index == 0:
            step = 1
        else:
            step = 1 if rng.random() < 0.75 else -1
        comment = "Retour à l'étape précédente." if step < 0 else None
        moves.append({"from_stage_id": stages[index], "to_stage_id": stages[index + step],
                      "moved_at": at, "moved_by_id": advisor, "comment": comment})
        index += step
    last = moves[-1]["moved_at"]
    changes, status, outcome, closed_at, reason = [], "active", None, None, None

    def change(at: datetime, to_status: str, **extra) -> None:
        nonlocal status
        changes.append({"from_status": status, "to_status": to_status, "changed_at": at,
                        "changed_by_id": advisor, "outcome": None, "reason": None, **extra})
        status = to_status

    # A pause between two moves, reopened before the next one (paused time to take out).
    if rng.random() < 0.2 and len(instants) > 2:
        k = rng.randrange(1, len(instants) - 1)
        pause = instants[k] + (instants[k + 1] - instants[k]) / 3
        change(pause, "paused", reason="En attente de financement.")
        change(pause + (instants[k + 1] - instants[k]) / 3, "active")
    ending_draw = rng.random()
    if ending is not None:
        ending_draw = {"closed": 0.0, "paused": 0.4, "active": 1.0}[ending]
    after = last + (now - last) * rng.random()
    if ending_draw < 0.35:  # closed, some reopened and closed again
        outcome = rng.choices(("launched", "redirected", "abandoned"), (0.5, 0.25, 0.25))[0]
        reason = "Porteurs indisponibles." if outcome == "abandoned" else None
        if rng.random() < 0.1:
            change(after, "closed", outcome="abandoned", reason="Pause longue.")
            after += (now - after) * rng.random() * 0.5
            change(after, "active")
            after += (now - after) * rng.random()
        change(after, "closed", outcome=outcome, reason=reason)
        closed_at = after
    elif ending_draw < 0.45:  # paused now
        change(after, "paused", reason="Congé des porteurs.")
    return {"submitted": submitted, "moves": moves, "changes": changes, "status": status,
            "outcome": outcome, "closed_at": closed_at, "reason": reason,
            "stage_id": moves[-1]["to_stage_id"], "stage_entered_at": last,
            "last_activity": max(last, changes[-1]["changed_at"] if changes else last)}


def regional_plan(active: int, moves: int, rng: random.Random) -> list[tuple[int, str]]:
    """Per project, (stage moves, ending) so that exactly ``active`` projects are active at
    the end and the history holds exactly ``moves`` stage moves (issue 15's regional scale:
    10,000 active projects, 100,000 moves). The closed and paused ones keep the random
    loader's shares (35 % and 10 % of all projects), so active ones are 55 %; the moves are
    spread evenly (at least 2 per project: the submission and one move), in random order."""
    total = round(active / 0.55)
    closed = round(total * 0.35)
    endings = ["active"] * active + ["closed"] * closed + ["paused"] * (total - active - closed)
    rng.shuffle(endings)
    base, extra = divmod(moves, total)
    if base < 2:
        raise ValueError(f"{moves} moves cannot give {total} projects two each")
    counts = [base + 1] * extra + [base] * (total - extra)
    rng.shuffle(counts)
    return list(zip(counts, endings, strict=True))


def _cohorts(rng: random.Random, now: datetime, project_ids: list[int],
             lives: list[dict[str, Any]]) -> None:
    """Cohorts (promotions): 12 over the three years, the last 4 open; every active project
    submitted since the oldest open one's start is a current member of one open cohort
    (about two in five of all projects); earlier ones left theirs."""
    cohort_rows, starts = [], []
    for n in range(12):
        start = (now - timedelta(days=YEARS * 365 - n * 90)).date()
        starts.append(start)
        name = f"Promotion {n + 1}"
        cohort_rows.append({"name": name, "name_key": search_key(name), "starts_on": start,
                            "ends_on": start + timedelta(days=180), "created_at": now,
                            "updated_at": now, "version": 1,
                            "archived_at": now if n < 8 else None})
    cohort_ids = _insert(Cohort, cohort_rows)
    members = []
    for p, life in zip(project_ids, lives, strict=True):
        day = life["submitted"].date()
        n = max(k for k in range(12) if starts[k] <= day) if day >= starts[0] else 0
        current = n >= 8 and life["status"] == "active"
        members.append({"cohort_id": cohort_ids[n], "project_id": p,
                        "added_at": life["submitted"],
                        "left_at": None if current else life["stage_entered_at"]})
    _insert(CohortProject, members)


def seed(app: Flask, projects: int, rng: random.Random, *, active: int | None = None,
         moves: int | None = None, cohorts: bool = False) -> dict[str, int]:
    """Fill the database; return the row counts. With ``active`` and ``moves``, the number
    of projects follows from them (``regional_plan``; ``projects`` is ignored); with
    ``cohorts``, cohorts and their members too (``_cohorts``)."""
    now = datetime.now(UTC)
    today = now.date()
    with app.app_context():
        seed_reference_data(db.session)
        db.session.flush()
        stages = list(db.session.scalars(select(Stage.id).order_by(Stage.position)))
        theme_ids = list(db.session.scalars(select(Theme.id)))
        legal_forms = list(db.session.scalars(select(LegalForm.id)))
        plan = regional_plan(active, moves, rng) if active is not None and moves is not None \
            else None
        if plan is not None:
            projects = len(plan)
        _manager, advisors, holders = _users(now, projects)
        organisations, partners = _directory(rng, now, max(500, projects // 3))

        if plan is not None:
            lives = [_history(rng, now, stages, rng.choice(advisors), count, ending)
                     for count, ending in plan]
        else:
            lives = [_history(rng, now, stages, rng.choice(advisors)) for _ in range(projects)]
        rows = []
        for n, life in enumerate(lives):
            commune = rng.choice(TERRITORY_COMMUNES)
            title = f"{rng.choice(PROJECT_NAMES)} {n + 1}"
            pitch = f"Projet n° {n + 1} : une activité d'utilité sociale à {commune}."
            launched = life["outcome"] == "launched"
            rows.append({
                "title": title, "pitch": pitch, "need": "Un lieu et des produits locaux.",
                "commune": commune, "commune_key": search_key(commune),
                "search_text": "\n".join(search_key(t) for t in (title, pitch, commune)),
                "theme_id": rng.choice(theme_ids), "kind": rng.choice(("individual", "collective")),
                "legal_form_id": rng.choice(legal_forms) if launched or rng.random() < 0.3 else None,
                "jobs_envisaged": Decimal(rng.randint(0, 40)) / 10,
                "jobs_created": Decimal(rng.randint(5, 30)) / 10 if launched else None,
                "funding_need_cents": rng.randint(0, 200) * 100_000,
                "status": life["status"], "stage_id": life["stage_id"], "position": n * 65536,
                "stage_entered_at": life["stage_entered_at"], "advisor_id": life["moves"][0][
                    "moved_by_id"], "outcome": life["outcome"], "outcome_reason": life["reason"],
                "closed_at": life["closed_at"], "created_by_id": rng.choice(holders),
                "created_at": life["submitted"] - timedelta(days=rng.randint(0, 30)),
                "submitted_at": life["submitted"], "last_activity_at": life["last_activity"],
            })
        project_ids = _insert(Project, rows)
        _insert(ProjectHolder, [{"project_id": p, "user_id": holders[i % len(holders)],
                                 "added_at": lives[i]["submitted"]}
                                for i, p in enumerate(project_ids)])
        # left_at as the services write it (stage_history.record_stage_move).
        _insert(StageMove, [{**move, "project_id": p} for p, life in zip(project_ids, lives,
                                                                           strict=True)
                            for move in chain_left_at(life["moves"])])
        _insert(StatusChange, [{**c, "project_id": p} for p, life in zip(project_ids, lives,
                                                                          strict=True)
                               for c in life["changes"]])

        def day_in(life: dict) -> date:
            end = life["closed_at"] or now
            return (life["submitted"] + (end - life["submitted"]) * rng.random()).date()

        # Supports (half the projects, one or two each) and their status histories.
        supports, histories = [], []
        for p, life in zip(project_ids, lives, strict=True):
            for _ in range(rng.choice((0, 0, 1, 2))):
                first = day_in(life)
                path = rng.choice((("envisaged",), ("requested",), ("requested", "refused"),
                                   ("requested", "granted"), ("requested", "granted", "paid")))
                amount = rng.randint(10, 500) * 10_000
                days = [first + timedelta(days=30 * k) for k in range(len(path))]
                days = [min(d, today) for d in days]
                supports.append({"project_id": p, "partner_id": rng.choice(partners),
                                 "kind": rng.choice(SUPPORT_KINDS), "amount_cents": amount,
                                 "status": path[-1], "status_on": days[-1], "created_at": now})
                histories.append(list(zip(path, days, strict=True)))
        support_ids = _insert(Support, supports)
        _insert(SupportStatusChange, [
            {"support_id": s, "from_status": history[k - 1][0] if k else None,
             "to_status": status, "changed_on": on, "amount_cents": None, "changed_at": now}
            for s, history in zip(support_ids, histories, strict=True)
            for k, (status, on) in enumerate(history)])
        # Accompaniment time: about five entries per project.
        _insert(AccompanimentTime, [
            {"project_id": p, "advisor_id": life["moves"][0]["moved_by_id"],
             "spent_on": day_in(life), "minutes": rng.choice((30, 45, 60, 90, 120)),
             "kind": rng.choice(ACCOMPANIMENT_KINDS), "created_at": now, "updated_at": now}
            for p, life in zip(project_ids, lives, strict=True) for _ in range(rng.randint(2, 8))])
        # Mentoring: a fifth of the projects have a mentor organisation, with a few hours each.
        mentored = [(p, life) for p, life in zip(project_ids, lives, strict=True)
                    if rng.random() < 0.2]
        mentorship_ids = _insert(Mentorship, [
            {"project_id": p, "organisation_id": rng.choice(organisations),
             "role": rng.choice(("sponsor", "expert", "support_body")),
             "started_on": life["submitted"].date(), "created_at": now, "updated_at": now}
            for p, life in mentored])
        _insert(MentoringHours, [
            {"mentorship_id": m, "worked_on": day_in(life),
             "hours": Decimal(rng.randint(2, 16)) / 2, "logged_at": now}
            for m, (_p, life) in zip(mentorship_ids, mentored, strict=True)
            for _ in range(rng.randint(1, 5))])
        # Referrals for redirected projects; overdue and open next steps.
        _insert(Referral, [
            {"project_id": p, "partner_id": rng.choice(partners), "direction": "outgoing",
             "referred_on": life["closed_at"].date(), "outcome": "taken_up",
             "created_at": now, "updated_at": now}
            for p, life in zip(project_ids, lives, strict=True) if life["outcome"] == "redirected"])
        _insert(NextStep, [
            {"project_id": p, "title": "Relancer les porteurs", "assignee_id": life["moves"][0][
                "moved_by_id"], "due_on": today + timedelta(days=rng.randint(-60, 30)),
             "created_at": now}
            for p, life in zip(project_ids, lives, strict=True)
            if life["status"] != "closed" and rng.random() < 0.4])
        if cohorts:
            _cohorts(rng, now, project_ids, lives)
        db.session.commit()
        # The bulk inserts bypass the services: the flow's summary is rebuilt from them (as
        # `flask rebuild-stage-flow` does after a bulk load), the stays' paused time filled.
        stage_flow.rebuild()
        fill_paused_days()
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("ANALYZE"))
            db.session.commit()
        counts = {}
        for model in (Project, StageMove, StatusChange, Support, SupportStatusChange,
                      AccompanimentTime, MentoringHours, Organisation, CohortProject):
            counts[model.__tablename__] = db.session.scalar(
                select(db.func.count()).select_from(model.__table__))
        return counts


# --- Measuring ------------------------------------------------------------------------------


def pages(year: int, advisor_id: int) -> list[tuple[str, str, dict[str, str]]]:
    """(label, URL, extra headers) of each request measured."""
    htmx = {"HX-Request": "true"}
    return [
        ("pipeline", "/pipeline", {}),
        ("pipeline 12m + advisor", f"/pipeline?preset=12m&advisor={advisor_id}", {}),
        ("pipeline figures (htmx)", "/pipeline?preset=12m", htmx),
        ("report this year", f"/pipeline/report?year={year}", {}),
        ("report past year", f"/pipeline/report?year={year - 1}", {}),
        ("report XLSX", f"/pipeline/report?year={year}&format=xlsx", {}),
        ("territory", "/pipeline/territory", {}),
        ("export stalled CSV", "/pipeline?table=stalled&format=csv", {}),
    ]


def log_in(client) -> None:
    """Log in as the manager through the form."""
    page = client.get("/auth/login").get_data(as_text=True)
    response = client.post("/auth/login", data={
        "email": MANAGER_EMAIL, "password": PASSWORD,
        "csrf_token": CSRF_INPUT.search(page).group(1)})
    if response.status_code != 303:
        raise RuntimeError(f"login failed: {response.status_code}")


def measure(client, statements: list[int], url: str, headers: dict[str, str],
            requests: int) -> dict[str, Any]:
    """``url`` ``requests`` times after 2 warm-ups: median, p90, size, SQL statements."""
    for _ in range(2):
        client.get(url, headers=headers)
    times, sql, size = [], [], 0
    for _ in range(requests):
        before = statements[0]
        response, ms = timed(client.get, url, headers=headers)
        if response.status_code != 200:
            raise RuntimeError(f"GET {url} answered {response.status_code}")
        times.append(ms)
        sql.append(statements[0] - before)
        size = len(response.data)
    return {"ms_median": statistics.median(times), "ms_p90": percentile(times, 0.90),
            "bytes": size, "sql": int(statistics.median(sql)), "sql_max": max(sql)}


def run_size(projects: int, args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    """Build the database for ``projects`` and measure every page."""
    url = database_url(workdir / f"pipeline-{projects}.db")
    app = create_app(bench_config(url))
    # Each export writes a security log line to stderr; keep the output to the figures.
    logging.getLogger("incubator.security").setLevel(logging.WARNING)
    rng = random.Random(projects)
    start = time.perf_counter()
    empty_database(app)
    counts = seed(app, projects, rng)
    result: dict[str, Any] = {"projects": projects, "database": database_version(url),
                              "build_s": time.perf_counter() - start, "rows": counts,
                              "load": os.getloadavg()[0], "pages": {}}
    with app.app_context():
        advisor_id = db.session.scalar(select(User.id).where(User.role == Role.ADVISOR.value)
                                       .order_by(User.id))
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fr"
    try:
        log_in(client)
        with counting_statements(app) as statements:
            for label, page, headers in pages(datetime.now(UTC).year, advisor_id):
                result["pages"][label] = {"url": page} | measure(
                    client, statements, page, headers, args.requests)
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    result["load_after"] = os.getloadavg()[0]
    return result


def print_table(r: dict[str, Any]) -> None:
    """One size's figures; PASS/MISS against the median target at TARGET_SIZE."""
    rows = ", ".join(f"{n:,} {name}" for name, n in r["rows"].items())
    print(f"\n{r['projects']:,} projects — {r['database']} (built in {r['build_s']:.1f} s; "
          f"load average {r['load']:.2f} → {r['load_after']:.2f})\n  {rows}")
    print(f"  {'page':<26}{'median ms':>10}{'p90 ms':>9}{'KB':>9}{'SQL':>6}")
    for label, p in r["pages"].items():
        mark = ""
        if r["projects"] >= TARGET_SIZE:
            mark = "PASS" if p["ms_median"] <= TARGET_MS else "MISS"
        sql = str(p["sql"]) if p["sql"] == p["sql_max"] else f"{p['sql']}–{p['sql_max']}"
        print(f"  {label:<26}{p['ms_median']:>10.1f}{p['ms_p90']:>9.1f}"
              f"{p['bytes'] / 1024:>9.1f}{sql:>6}  {mark}".rstrip())


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--projects", type=sizes, default=[TARGET_SIZE],
                        help="comma-separated numbers of projects (default 10000)")
    parser.add_argument("--requests", type=int, default=20, help="requests per page (20)")
    parser.add_argument("--json", action="store_true", help="one JSON object per size per line")
    return parser.parse_args(argv)


def _rounded(value: Any) -> Any:
    """``value`` with its floats, at any depth, rounded to two decimals."""
    if isinstance(value, float):
        return round(value, 2)
    if isinstance(value, dict):
        return {key: _rounded(item) for key, item in value.items()}
    return value


def main(argv: list[str] | None = None) -> int:
    """Measure every size asked for and print a table (or JSON lines) per size."""
    args = parse_args(argv)
    if not args.json:
        print_machine()
    with tempfile.TemporaryDirectory(prefix="incubator-bench-") as workdir:
        for projects in args.projects:
            result = run_size(projects, args, Path(workdir))
            if args.json:
                print(json.dumps(_rounded(result)), flush=True)
            else:
                print_table(result)
                sys.stdout.flush()
    if not args.json:
        print(f"\nTarget: each page ≤ {TARGET_MS:.0f} ms median at {TARGET_SIZE:,} projects, "
              "SQL statements not growing with the data; see docs/performance.md.")
    return 0


if __name__ == "__main__":
    sys.exit(main())

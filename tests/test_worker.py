"""The worker (issue 15): mails and jobs leave through tables, not threads, so nothing is
lost when a process dies; retries back off, then the row is failed; a claimed row is never
worked on twice while its worker lives; SIGTERM stops the worker cleanly.

The process tests run real processes on a SQLite file of their own (the app's and the
``flask --app incubator worker`` command's), each killed with SIGKILL at the worst moment;
mails go to the outbox folder (no mail server) or to a local socket that never answers."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from incubator import config as settings
from incubator import create_app, jobs, mail, outbox
from incubator.extensions import db
from incubator.models import Job, OutgoingMail, Role, utcnow
from incubator.worker import run_pending

from .conftest import is_postgres, make_app, reset_database

ROOT = Path(__file__).resolve().parent.parent


# Back-off and failure ----------------------------------------------------------------------

def test_a_failing_mail_is_retried_after_growing_delays_then_marked_failed(app, monkeypatch):
    monkeypatch.setattr(mail, "send_mail", lambda to, subject, body, **options: False)
    queued = OutgoingMail(to="a@example.org", subject="Un", body="…")
    db.session.add(queued)
    db.session.commit()
    waits = []
    for attempt in range(1, jobs.MAX_ATTEMPTS + 1):
        before = utcnow()
        assert run_pending().failed == 1
        db.session.refresh(queued)
        assert queued.attempts == attempt and queued.claimed_at is None and queued.last_error
        if attempt < jobs.MAX_ATTEMPTS:
            assert queued.failed_at is None
            waits.append(round((queued.next_attempt_at - before).total_seconds() / 60))
            assert run_pending().total == 0  # not before its time
            queued.next_attempt_at = utcnow()  # time passes
            db.session.commit()
    assert waits == [1, 5, 30, 120, 720]  # minutes
    assert queued.failed_at is not None and queued.sent_at is None
    queued.next_attempt_at = utcnow() - timedelta(days=1)
    db.session.commit()
    assert run_pending().total == 0  # failed: left for a manager's "retry now"


def test_a_row_claimed_by_a_live_worker_is_left_alone_and_one_of_a_dead_one_taken_over(app):
    queued = OutgoingMail(to="a@example.org", subject="Un", body="…")
    db.session.add(queued)
    db.session.commit()
    assert jobs.claim(OutgoingMail, 10) == [queued.id]  # a worker has it, sending
    assert run_pending().total == 0
    db.session.refresh(queued)
    queued.claimed_at = utcnow() - timedelta(seconds=app.config["WORKER_STUCK_SECONDS"] + 1)
    db.session.commit()
    assert run_pending().sent == 1  # that worker died: sent once, by this one
    db.session.refresh(queued)
    assert queued.sent_at is not None and queued.attempts == 2


def test_a_stopping_worker_gives_back_what_it_has_not_started(app):
    db.session.add_all([OutgoingMail(to=f"{n}@example.org", subject="Un", body="…")
                        for n in range(3)])
    db.session.commit()
    calls = []

    def stop() -> bool:  # asked before each mail: stop after the first one
        calls.append(1)
        return len(calls) > 2
    assert run_pending(stop).sent == 1
    rows = db.session.execute(select(OutgoingMail.attempts, OutgoingMail.claimed_at)
                              .where(OutgoingMail.sent_at.is_(None))).all()
    assert rows == [(0, None), (0, None)]


class _Died(BaseException):
    """The worker process dying (SIGKILL) at that line: nothing after it runs."""


def test_a_job_killed_after_its_commit_is_not_run_again(app, monkeypatch):
    """The job's deletion is in its handler's commit: a worker dying right after that
    commit leaves no job to run a second time (no second password link)."""
    def queue_then_die(email: str) -> None:
        outbox.queue_mail(email, "Un lien", "…", secret=True)
        db.session.commit()
        raise _Died

    monkeypatch.setitem(jobs._handlers, "queue_then_die", queue_then_die)
    with app.test_request_context():
        jobs.enqueue("queue_then_die", email="lea@example.org")
    db.session.commit()
    [job_id] = jobs.claim(Job, 10)
    with pytest.raises(_Died):
        jobs.run_job(job_id)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Job)) == 0
    assert db.session.scalar(select(func.count()).select_from(OutgoingMail)) == 1


def test_a_failing_job_keeps_its_row_and_none_of_its_work(app, monkeypatch):
    def queue_then_fail(email: str) -> None:
        outbox.queue_mail(email, "Un lien", "…", secret=True)
        raise RuntimeError("broken")

    monkeypatch.setitem(jobs._handlers, "queue_then_fail", queue_then_fail)
    with app.test_request_context():
        jobs.enqueue("queue_then_fail", email="lea@example.org")
    db.session.commit()
    [job_id] = jobs.claim(Job, 10)
    assert jobs.run_job(job_id) is False
    job = db.session.get(Job, job_id)
    assert job is not None and job.last_error == "RuntimeError: broken"
    assert db.session.scalar(select(func.count()).select_from(OutgoingMail)) == 0


def test_an_unknown_job_kind_is_refused_when_queued(app):
    with app.test_request_context(), pytest.raises(KeyError):
        jobs.enqueue("no-such-job")


# Processes killed at the worst moment --------------------------------------------------------

def _environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items()
           if not key.startswith("INCUBATOR_")}
    env.update({
        "INCUBATOR_DATABASE_URL": f"sqlite:///{tmp_path / 'app.db'}",
        "INCUBATOR_SECRET_KEY": "test-secret-key-not-for-production",
        "INCUBATOR_BASE_URL": "http://localhost",
        "INCUBATOR_INSTANCE_PATH": str(tmp_path),
        "INCUBATOR_MAIL_OUTBOX": str(tmp_path / "outbox"),
        "INCUBATOR_ERASURE_LOG": str(tmp_path / "erasures.jsonl"),
        "INCUBATOR_WORKER_POLL_SECONDS": "0.1",
        "PYTHONPATH": str(ROOT),
        **extra,
    })
    return env


def _file_app(tmp_path: Path, **config):
    """This process's app on the test's SQLite file (schema created), sending to files."""
    app = create_app({**settings.for_tests(f"sqlite:///{tmp_path / 'app.db'}"),
                      "TESTING": False, "MAIL_OUTBOX": str(tmp_path / "outbox"), **config})
    with app.app_context():
        db.create_all()
        from incubator.reference import seed_reference_data

        seed_reference_data(db.session)
        db.session.commit()
    return app


def _sent(tmp_path: Path) -> list[str]:
    folder = tmp_path / "outbox"
    return sorted(path.read_text() for path in folder.glob("*.eml")) if folder.exists() else []


# The child: a request queues a mail and a job, commits, and the process is killed by
# SIGKILL before the answer leaves (before the inline drain, which runs after this hook).
CHILD_KILLED_AFTER_COMMIT = """
import os, signal
from incubator import create_app, jobs, outbox
from incubator.extensions import db

app = create_app({"WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False})

@app.post("/test-queue")
def queue():
    outbox.queue_mail("lea@example.org", "Bienvenue", "Bonjour Léa")
    jobs.enqueue("password_reset", email="maelle@example.org")
    db.session.commit()
    return "queued"

@app.after_request
def die(response):
    os.kill(os.getpid(), signal.SIGKILL)

app.test_client().post("/test-queue")
"""


def test_a_mail_survives_a_process_killed_right_after_the_commit(tmp_path):
    app = _file_app(tmp_path)
    with app.app_context():
        from incubator.auth.services import create_user

        create_user("maelle@example.org", "Maëlle Jégou", Role.HOLDER,
                    "une phrase assez longue")
        db.session.commit()
    child = subprocess.run([sys.executable, "-c", textwrap.dedent(CHILD_KILLED_AFTER_COMMIT)],
                           env=_environment(tmp_path, INCUBATOR_WORKER_INLINE="1"),
                           cwd=ROOT, capture_output=True, timeout=60)
    assert child.returncode == -signal.SIGKILL, child.stderr.decode()[-2000:]
    assert _sent(tmp_path) == []  # nothing left before the kill
    result = app.test_cli_runner().invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert "1 job(s) done, 0 failed; 2 sent, 0 failed." in result.output
    sent = _sent(tmp_path)
    assert len(sent) == 2
    assert any("To: lea@example.org" in m for m in sent)
    assert any("To: maelle@example.org" in m and "/auth/password/" in m for m in sent)


def _start_worker(tmp_path: Path, **extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "incubator", "worker"],
        env=_environment(tmp_path, **extra), cwd=ROOT,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def _wait_for(condition, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _queue_one(app, to: str = "lea@example.org") -> int:
    with app.app_context():
        from incubator import outbox

        with app.test_request_context():
            queued = outbox.queue_mail(to, "Bienvenue", "Bonjour")
            db.session.commit()
            return queued.id


def test_the_worker_sends_by_polling_and_stops_cleanly_on_sigterm(tmp_path):
    app = _file_app(tmp_path)
    worker = _start_worker(tmp_path)
    try:
        _queue_one(app)
        _wait_for(lambda: len(_sent(tmp_path)) == 1)
        worker.send_signal(signal.SIGTERM)
        output, _ = worker.communicate(timeout=20)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    assert worker.returncode == 0, output.decode()
    assert "Worker stopped" in output.decode()
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OutgoingMail).where(
            OutgoingMail.sent_at.is_(None))) == 0


def test_a_worker_killed_while_sending_leaves_the_mail_to_the_next_once_it_is_stuck(
        tmp_path):
    # A mail server that accepts the connection and never answers: the worker is caught
    # in the middle of sending.
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    server.settimeout(30)
    port = server.getsockname()[1]
    app = _file_app(tmp_path)
    mail_id = _queue_one(app)
    worker = _start_worker(tmp_path, INCUBATOR_MAIL_SERVER="127.0.0.1",
                           INCUBATOR_MAIL_PORT=str(port), INCUBATOR_MAIL_TIMEOUT="30",
                           INCUBATOR_MAIL_USE_TLS="0")
    try:
        connection, _ = server.accept()  # the worker is sending
        worker.kill()
        connection.close()
    finally:
        server.close()
        if worker.poll() is None:
            worker.kill()
        worker.communicate(timeout=20)
    with app.app_context():
        row = db.session.get(OutgoingMail, mail_id)
        assert row.attempts == 1 and row.claimed_at is not None and row.sent_at is None
        # Its worker might still be alive: nobody sends it again before the stuck delay.
        assert run_pending().total == 0
        db.session.execute(
            OutgoingMail.__table__.update().values(
                claimed_at=utcnow() - timedelta(seconds=app.config["WORKER_STUCK_SECONDS"] + 1)))
        db.session.commit()
        assert run_pending().sent == 1
    assert len(_sent(tmp_path)) == 1


def test_no_job_row_is_left_behind_by_a_reset_for_an_unknown_address(app, client):
    response = client.post("/auth/reset", data={"email": "personne@example.org"})
    assert response.status_code == 303
    assert db.session.scalar(select(func.count()).select_from(Job)) == 0


# The managers' page ---------------------------------------------------------------------------

def _failed_mail(secret: bool = False) -> OutgoingMail:
    row = OutgoingMail(to="lea@example.org", subject="Votre lien", secret=secret,
                       body="Choisissez : http://localhost/auth/password/SECRET-TOKEN",
                       attempts=jobs.MAX_ATTEMPTS, last_error="OSError: Connection refused",
                       failed_at=utcnow())
    db.session.add(row)
    db.session.commit()
    return row


def _delayed_job() -> Job:
    row = Job(kind="password_reset", payload={"email": "typed@example.org"}, attempts=2,
              last_error="RuntimeError: base en panne",
              next_attempt_at=utcnow() + timedelta(minutes=5))
    db.session.add(row)
    db.session.commit()
    return row


@pytest.mark.parametrize("role", ["advisor", "holder", "mentor"])
def test_only_managers_see_the_outbox(client, login, role):
    _failed_mail()
    login(role)
    assert client.get("/admin/outbox").status_code == 403
    assert client.post("/admin/outbox/mails/1/retry", data={"attempts": 6}).status_code == 403


def test_managers_see_failed_and_delayed_work_but_never_a_body_nor_a_payload(client, login):
    _failed_mail(secret=True)
    _delayed_job()
    login("manager")
    users_page = client.get("/admin/users").get_data(as_text=True)
    assert "/admin/outbox" in users_page and "1 given up" in users_page
    response = client.get("/admin/outbox")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "lea@example.org" in html and "Votre lien" in html and "Connection refused" in html
    assert "base en panne" in html and "6 / 6" in html and "2 / 6" in html
    assert "SECRET-TOKEN" not in html and "typed@example.org" not in html
    # Both tables: six headed columns; each row its two own cells, then attempts, last
    # error, state and a "Retry now" button named for its row.
    for table, label in (("outbox-mails", "Retry now the mail to lea@example.org"),
                         ("outbox-jobs", "Retry now the job queued")):
        part = html[html.index(f'id="{table}"'):]
        part = part[:part.index("</table>")]
        assert part.count('<th scope="col">') == 6
        [row] = re.findall(r"<tr id=\"[^\"]+\">(.*?)</tr>", part, re.S)
        assert row.count("<td>") == 6 and f'aria-label="{label}' in row
    fragment = client.get("/admin/outbox", htmx=True)
    assert fragment.get_data(as_text=True).lstrip().startswith('<section id="outbox-problems"')
    assert "HX-Request" in fragment.headers.get("Vary", "")


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_retry_now_sends_a_failed_mail_once(app, client, login, caplog, htmx):
    row = _failed_mail()
    login("manager")
    with caplog.at_level("INFO", logger="incubator.security"):
        response = client.post(f"/admin/outbox/mails/{row.id}/retry",
                               data={"attempts": jobs.MAX_ATTEMPTS}, htmx=htmx)
    if htmx:
        assert response.status_code == 200
        assert 'id="outbox-problems"' in response.get_data(as_text=True)
    else:
        assert response.status_code == 303
        assert response.headers["Location"].endswith("/admin/outbox")
    assert '"event":"outbox.retried"' in caplog.text
    # Development and tests drain inline: the mail left before the answer.
    [message] = app.extensions["outbox"]
    assert message["To"] == "lea@example.org"
    db.session.refresh(row)
    assert row.sent_at is not None and row.failed_at is None and row.attempts == 1
    # The same button again (a stale page, a double click): nothing more happens.
    again = client.post(f"/admin/outbox/mails/{row.id}/retry",
                        data={"attempts": jobs.MAX_ATTEMPTS}, htmx=htmx)
    assert again.status_code == (200 if htmx else 303)
    assert len(app.extensions["outbox"]) == 1


def test_retry_now_of_a_delayed_job_makes_it_due_at_once(app, client, login):
    app.config["WORKER_INLINE"] = False  # as in production: the worker takes it
    row = _delayed_job()
    login("manager")
    response = client.post(f"/admin/outbox/jobs/{row.id}/retry", data={"attempts": 2})
    assert response.status_code == 303
    db.session.refresh(row)
    assert row.attempts == 0 and row.next_attempt_at <= utcnow()
    assert client.post(f"/admin/outbox/jobs/{row.id}/retry",
                       data={"attempts": 2}).status_code == 303  # stale: no change
    db.session.refresh(row)
    assert row.attempts == 0


@pytest.mark.parametrize("data", [{}, {"attempts": "x"}], ids=["missing", "not a number"])
def test_retry_now_with_bad_input_is_a_400(client, login, data):
    row = _failed_mail()
    login("manager")
    assert client.post(f"/admin/outbox/mails/{row.id}/retry", data=data).status_code == 400
    assert client.post("/admin/outbox/other/1/retry", data={"attempts": 1}).status_code == 404


@pytest.mark.parametrize(("env", "inline"), [("production", False), (None, True)],
                         ids=["production", "development"])
def test_only_development_drains_inline(tmp_path, monkeypatch, env, inline):
    """``flask run`` sends mail without a worker; production (gunicorn sets
    INCUBATOR_ENV=production) leaves it to the worker, whatever the mail server does."""
    monkeypatch.delenv("INCUBATOR_WORKER_INLINE", raising=False)
    if env:
        monkeypatch.setenv("INCUBATOR_ENV", env)
    else:
        monkeypatch.delenv("INCUBATOR_ENV", raising=False)
    assert settings.from_environment(tmp_path, False)["WORKER_INLINE"] is inline
    monkeypatch.setenv("INCUBATOR_WORKER_INLINE", "0")
    assert settings.from_environment(tmp_path, False)["WORKER_INLINE"] is False


def test_erasing_a_person_drops_the_jobs_that_hold_their_address(app, client, login):
    from . import factories
    from .test_erasure import erase_user_through_pages

    app.config["WORKER_INLINE"] = False  # the jobs wait for a worker
    login("manager")
    holder = factories.user("holder", name="Maëlle Jégou", email="maelle@exemple.fr")
    db.session.add_all([Job(kind="password_reset", payload={"email": "Maelle@Exemple.fr "}),
                        Job(kind="password_reset", payload={"email": "autre@exemple.fr"})])
    db.session.commit()
    assert erase_user_through_pages(client, holder, name="Maëlle Jégou").status_code == 303
    db.session.expire_all()
    assert db.session.scalars(select(Job.payload)).all() == [{"email": "autre@exemple.fr"}]


def test_the_outbox_page_warns_when_no_worker_takes_the_work(app, client, login):
    app.config["WORKER_INLINE"] = False
    db.session.add(OutgoingMail(to="a@example.org", subject="Un", body="…",
                                next_attempt_at=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    login("manager")
    assert 'id="outbox-no-worker"' not in client.get("/admin/outbox").get_data(as_text=True)
    db.session.add(Job(kind="password_reset", payload={"email": "a@example.org"},
                       next_attempt_at=utcnow() - timedelta(minutes=10)))
    db.session.commit()
    html = client.get("/admin/outbox").get_data(as_text=True)
    assert 'id="outbox-no-worker"' in html and "is the worker running" in html


@pytest.mark.skipif(not is_postgres(), reason="needs concurrent connections (PostgreSQL)")
def test_two_workers_claiming_at_once_take_different_rows():
    """SKIP LOCKED: two workers claiming at the same instant share the due rows out, none
    twice, none forgotten (each claims batches of 5 until it holds 30 or nothing is left)."""
    app = make_app()
    reset_database(app)
    with app.app_context():
        db.session.add_all([OutgoingMail(to=f"{n}@example.org", subject="Un", body="…")
                            for n in range(50)])
        db.session.commit()
    claimed: list[list[int]] = []
    barrier = threading.Barrier(2)

    def claim_all() -> None:
        with app.app_context():
            mine: list[int] = []
            barrier.wait()
            while batch := jobs.claim(OutgoingMail, 5):
                mine += batch
                if len(mine) >= 30:
                    break
            claimed.append(mine)
            db.session.remove()

    threads = [threading.Thread(target=claim_all) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    first, second = claimed
    assert not set(first) & set(second)
    assert len(first) + len(second) == 50


def test_a_database_error_is_kept_without_its_row_values():
    """PostgreSQL's DETAIL quotes values ("Key (email)=(typed@example.org)"): the outbox
    page's last error never shows them (a password reset's payload is the address typed)."""
    from types import SimpleNamespace

    from sqlalchemy.exc import IntegrityError

    class Original(Exception):
        diag = SimpleNamespace(sqlstate="23505", constraint_name="uq_users_email",
                               message_primary="duplicate key value violates unique "
                                               "constraint \"uq_users_email\"")

    error = IntegrityError("INSERT INTO users …", None, Original(
        "duplicate key\nDETAIL:  Key (email)=(typed@example.org) already exists."))
    text = jobs.error_text(error)
    assert "uq_users_email" in text and "23505" in text
    assert "typed@example.org" not in text
    assert jobs.error_text(ValueError("plain")) == "ValueError: plain"


def test_the_production_worker_refuses_to_start_with_the_settings_gunicorn_refuses(
        app, monkeypatch):
    """Same checks as gunicorn.conf.py's (README: the worker takes the same environment)."""
    monkeypatch.setenv("INCUBATOR_ENV", "production")
    monkeypatch.setenv("INCUBATOR_BASE_URL", "https://incubateur.example.org")
    monkeypatch.delenv("INCUBATOR_SECRET_KEY", raising=False)
    monkeypatch.setenv("INCUBATOR_DATABASE_URL", "sqlite://")
    result = app.test_cli_runner().invoke(args=["worker", "--once"])
    assert result.exit_code == 1
    assert "INCUBATOR_SECRET_KEY is not set" in result.output
    assert "SQLite database in memory" in result.output

"""The outbox sends every e-mail: invitations and password links too. A mail holding a live
link is queued like the others (so a broken mail server loses nothing) and its row, with the
link, is deleted once sent. Notification mails: see test_notifications.py."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select, update

from incubator import mail, outbox
from incubator.extensions import db
from incubator.models import OutgoingMail, utcnow
from incubator.worker import run_pending

from . import factories

LINK = re.compile(r"http://localhost/auth/password/\S+")


def _staff_invitation(client, login):
    login("manager")
    client.post("/admin/users/invite", data={
        "name": "Sophie Maillard", "email": "sophie@cades.example", "role": "advisor"})
    return "sophie@cades.example"


def _holder_invitation(client, login):
    login("advisor")
    project = factories.project(holders=[])
    db.session.commit()
    client.post(f"/projects/{project.id}/holders",
                data={"email": "nouveau@exemple.fr", "name": "Léa Jouan"})
    return "nouveau@exemple.fr"


def _password_reset(client, login):
    holder = factories.user(email="maelle@exemple.fr")
    db.session.commit()
    client.post("/auth/reset", data={"email": holder.email})
    return holder.email


SECRET_MAILS = pytest.mark.parametrize(
    "send", [_staff_invitation, _holder_invitation, _password_reset],
    ids=["staff invitation", "holder invitation", "password reset"])


def _rows() -> int:
    return db.session.scalar(select(func.count()).select_from(OutgoingMail))


@SECRET_MAILS
def test_a_mail_with_a_link_is_queued_sent_and_its_row_deleted(app, client, login,
                                                               monkeypatch, send):
    queued = []
    real = mail.send_mail

    def watching(to, subject, body, **options):
        # While it is being sent, the mail is a secret row of the outbox.
        queued.extend(db.session.execute(
            select(OutgoingMail.to, OutgoingMail.secret, OutgoingMail.body)).all())
        return real(to, subject, body, **options)

    monkeypatch.setattr(mail, "send_mail", watching)
    address = send(client, login)
    [(to, secret, body)] = queued
    assert to == address and secret and LINK.search(body)
    message = app.extensions["outbox"][-1]
    assert message["To"] == address and LINK.search(message.get_content())
    assert _rows() == 0  # the link left with the mail, not a copy in a table


@SECRET_MAILS
def test_a_mail_with_a_link_waits_for_a_broken_server_then_goes(app, client, login,
                                                                monkeypatch, send):
    app.config["MAIL_SERVER"] = "smtp.example.org"

    def broken(message):
        raise OSError("Connection refused")

    monkeypatch.setattr(mail, "_send_smtp", broken)
    address = send(client, login)
    [queued] = db.session.scalars(select(OutgoingMail)).all()
    assert queued.to == address and queued.secret and queued.last_error
    assert queued.sent_at is None and LINK.search(queued.body)

    sent = []
    monkeypatch.setattr(mail, "_send_smtp", lambda message: sent.append(message["To"]))
    queued.next_attempt_at = utcnow()  # a minute later
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["worker", "--once"])
    assert result.exit_code == 0 and "1 sent, 0 failed." in result.output
    assert sent == [address]
    assert _rows() == 0


def test_a_notification_mail_stays_as_a_record_once_sent(app):
    with app.test_request_context():
        queued = outbox.queue_mail("a@example.org", "Incubateur : une\nnouvelle", "…")
        db.session.commit()
        assert queued.subject == "Incubateur : une nouvelle"  # one line, whatever it held
        assert not queued.secret
        assert run_pending().sent == 1
    kept = db.session.get(OutgoingMail, queued.id)
    assert kept is not None and kept.sent_at is not None


def test_a_mail_sent_again_after_a_lost_record_keeps_its_message_id(app):
    """Mails are at-least-once: a worker killed after the server took a mail but before its
    commit sends it again; the copy carries the same Message-ID (servers and clients drop
    it), another mail a different one, on the site's own host."""
    from incubator import jobs

    with app.test_request_context():
        first = outbox.queue_mail("a@example.org", "Un", "…")
        second = outbox.queue_mail("b@example.org", "Deux", "…")
        db.session.commit()
        outbox.send_claimed([first.id, second.id])
        # The record of the first sending lost (the worker died before its commit).
        db.session.execute(update(OutgoingMail).where(OutgoingMail.id == first.id)
                           .values(sent_at=None))
        db.session.commit()
        assert outbox.send_claimed(jobs.claim(OutgoingMail, 10)) == (1, 0, [])
    one, two, again = app.extensions["outbox"][-3:]
    assert (one["To"], two["To"], again["To"]) == ("a@example.org", "b@example.org",
                                                   "a@example.org")
    assert again["Message-ID"] == one["Message-ID"] != two["Message-ID"]
    assert one["Message-ID"].startswith("<outbox.") and one["Message-ID"].endswith("@localhost>")
    # Keyed: the row's id does not show (how many mails the pole has sent).
    assert f".{first.id}." not in one["Message-ID"] and f".{second.id}." not in two["Message-ID"]

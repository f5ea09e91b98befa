"""Outgoing e-mail.

With ``INCUBATOR_MAIL_SERVER`` set, messages go through SMTP (STARTTLS or SSL, with a
timeout). Without it (development), they are written as .eml files to the outbox folder and
the log says where (recipient and subject only: a body may hold a live password link). Tests (TESTING) read them from ``app.extensions["outbox"]``. Sending never breaks the request
that caused it: a failure is logged and the caller carries on.

Headers are built from text people typed (a project's title in a subject, a name): every
header value goes through ``one_line`` so no line break can end the header early (or make
``email`` refuse the message) whatever the data holds, old rows included.
"""

from __future__ import annotations

import re
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from urllib.parse import urlsplit

from flask import current_app

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def one_line(text: str) -> str:
    """``text`` for a header: every run of whitespace, line breaks included, becomes one
    space, and other control characters go."""
    return " ".join(_CONTROL.sub(" ", str(text)).split())


def message_id(local: str | None = None) -> str:
    """A ``Message-ID`` header value (RFC 5322 §3.6.4) on the site's own host (BASE_URL), so
    that replies and filters can tell our mails apart: ``<local@host>`` when ``local`` is
    given (it must be unique to the message, e.g. ``outbox.message_local_part``), otherwise
    a fresh random one (``email.utils.make_msgid``)."""
    host = urlsplit(current_app.config["BASE_URL"]).hostname or "localhost"
    if local is None:
        return make_msgid(domain=host)
    return f"<{local}@{host}>"


def build_message(to: str, subject: str, body: str, *,
                  message_local: str | None = None) -> EmailMessage:
    """A plain-text message; ``message_local`` makes its Message-ID stable (see
    ``message_id``): a mail sent again after a worker died between sending and recording
    it carries the same Message-ID, which mail servers and clients use to drop the copy."""
    config = current_app.config
    message = EmailMessage()
    message["From"] = one_line(config["MAIL_DEFAULT_SENDER"])
    message["To"] = one_line(to)
    message["Subject"] = one_line(subject)
    message["Message-ID"] = message_id(message_local)
    message.set_content(body)
    return message


def send_mail(to: str, subject: str, body: str, *, message_local: str | None = None) -> bool:
    """Send one plain-text message (``message_local``: see ``build_message``). Returns False
    (and logs) when it could not be sent."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    message = build_message(to, subject, body, message_local=message_local)
    if app.testing:  # tests read what was sent; a server must not keep every mail in memory
        app.extensions.setdefault("outbox", []).append(message)
    config = app.config
    try:
        if config.get("MAIL_SERVER"):
            _send_smtp(message)
        else:
            # Never the body in the log: it may hold a live link (invitation, reset).
            where = "not kept (no MAIL_OUTBOX)"
            if outbox := config.get("MAIL_OUTBOX"):
                folder = Path(outbox)
                folder.mkdir(parents=True, exist_ok=True)
                name = message["Message-ID"].strip("<>").replace("@", "_") + ".eml"
                (folder / name).write_bytes(bytes(message))
                where = str(folder / name)
            app.logger.info("Mail to %s (%s): %s", to, subject, where)
        return True
    except (OSError, smtplib.SMTPException):
        app.logger.exception("Could not send mail to %s (%s)", to, subject)
        return False


def _send_smtp(message: EmailMessage) -> None:
    config = current_app.config
    host, port, timeout = config["MAIL_SERVER"], config["MAIL_PORT"], config["MAIL_TIMEOUT"]
    context = ssl.create_default_context()
    if config.get("MAIL_USE_SSL"):
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
    else:
        smtp = smtplib.SMTP(host, port, timeout=timeout)
    with smtp:
        if config.get("MAIL_USE_TLS") and not config.get("MAIL_USE_SSL"):
            smtp.starttls(context=context)
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
        smtp.send_message(message)

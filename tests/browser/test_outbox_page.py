"""The outbox page (/admin/outbox) as a manager sees it on a phone: a failed mail to a long
address with a long unbroken error, a delayed job, at 360 px without sideways scroll and
without any axe violation, then "retry now" through htmx."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from incubator.extensions import db
from incubator.models import Job, OutgoingMail, utcnow

from .. import factories
from .conftest import axe_violations, log_in
from .test_narrow_screens import OVERFLOWING

WIDTH = 360
LONG_ADDRESS = "marie-christine.de-la-villemarque-kerguelen@une-commune-tres-longue.example.fr"
LONG_ERROR = ("SMTPRecipientsRefused: " + "x" * 300
              + " <script>alert(1)</script>")


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": WIDTH, "height": 740}}


def test_the_outbox_fits_a_phone_passes_axe_and_retries(page: Page, live_server, live_app):
    with live_app.app_context():
        factories.user(role="manager", email="claire@cades.example", name="Claire Rouxel")
        db.session.add(OutgoingMail(
            to=LONG_ADDRESS, subject="Votre lien « d’invitation » " + "très " * 20,
            body="secret", attempts=6, failed_at=utcnow(), last_error=LONG_ERROR,
            next_attempt_at=utcnow() - timedelta(hours=1)))
        db.session.add(Job(kind="password_reset", payload={"email": "typed@example.org"},
                           attempts=2, last_error="OperationalError: base en panne",
                           next_attempt_at=utcnow() + timedelta(minutes=5)))
        db.session.commit()
    log_in(page, live_server, "claire@cades.example")
    page.goto(f"{live_server}/admin/outbox")
    page.wait_for_load_state("load")
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= WIDTH, page.evaluate(OVERFLOWING, WIDTH)
    # The captions' words are on screen (centred over a table wider than the phone, they
    # were cut at the right edge or out of sight).
    captions = page.evaluate("""() => [...document.querySelectorAll('#outbox-problems caption')]
      .map(c => { const r = document.createRange(); r.selectNodeContents(c);
                  return r.getBoundingClientRect().right; })""")
    assert len(captions) == 2 and all(right <= WIDTH for right in captions), captions
    assert axe_violations(page) == []
    assert page.locator("script:has-text('alert(1)')").count() == 0
    page.get_by_role("button", name=f"Réessayer maintenant l’e-mail à {LONG_ADDRESS}").click()
    expect(page.locator("#messages")).to_contain_text("Nouvel essai d’ici quelques secondes")

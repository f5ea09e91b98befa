"""Supports on a project (issue 11): amounts typed the French way and totals exact to the
cent, status moves allowed and refused, version conflicts, the timeline's events, what
holders and mentors see, who may do what, the board card's granted funding, statement
counts."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from incubator.extensions import db
from incubator.members.services import create_organisation
from incubator.models import (
    SUPPORT_TRANSITIONS,
    Mentorship,
    OrganisationContact,
    Partner,
    ProjectEvent,
    Support,
    SupportStatusChange,
    utcnow,
)
from incubator.numbers import NumberRefused, parse_decimal
from incubator.supports import queries, services

from . import factories
from .helpers import MESSAGE_OOB, count_statements, project_changed

TOKEN = re.compile(r'name="form_token" value="([^"]+)"')
STATUSES = ("envisaged", "requested", "granted", "refused", "paid")


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _partner(name: str = "Région Bretagne", kind: str = "region", **fields) -> Partner:
    partner = Partner(name=name, kind=kind, **fields)
    db.session.add(partner)
    db.session.commit()
    return partner


def _support(project, partner, *, kind="grant", amount_cents=1_500_000, status="requested",
             status_on=date(2025, 3, 1), comment="Dossier déposé", actor=None) -> Support:
    support = services.add_support(actor, project, partner, kind=kind,
                                   amount_cents=amount_cents, status=status,
                                   status_on=status_on, programme="Initiatives ESS",
                                   comment=comment)
    db.session.commit()
    return support


def _add_data(client, project, partner, **overrides) -> dict:
    html = client.get(f"/projects/{project.id}/supports/new").get_data(as_text=True)
    data = {"partner_id": partner.id, "kind": "grant", "amount": "12 500,50 €",
            "status": "requested", "status_on": "2025-03-01", "programme": "Pass Création",
            "comment": "Rendez-vous le 12", "form_token": TOKEN.search(html).group(1)}
    data.update(overrides)
    return data


# Amounts and totals ----------------------------------------------------------------------


@pytest.mark.parametrize("typed, cents", [
    ("12 500,50", 1_250_050), ("12 500,50 €", 1_250_050), ("12500.5", 1_250_050),
    ("1 234,56 €", 123_456), ("0,10", 10), ("0.2", 20), ("100 000 000", 10_000_000_000),
    ("12\u202f500", 1_250_000), ("2.500,50", 250_050)])
def test_amounts_typed_the_french_way_are_read_exactly(app, typed, cents):
    with app.test_request_context():
        assert services.to_cents(parse_decimal(typed, places=2, maximum=100_000_000)) == cents


@pytest.mark.parametrize("typed", ["2,500", "12,5,0", "douze", "1,234", "0,105"])
def test_ambiguous_or_wrong_amounts_are_refused(app, typed):
    with app.test_request_context(), pytest.raises(NumberRefused):
        parse_decimal(typed, places=2, maximum=100_000_000)


def test_totals_per_status_are_exact_to_the_cent(app, team):
    partner = _partner()
    for cents in (10, 20):  # 0,10 + 0,20 = 0,30, never 0.30000000000000004
        _support(team.project, partner, amount_cents=cents, status="granted")
    _support(team.project, partner, amount_cents=123_456, status="requested")
    _support(team.project, partner, kind="premises", amount_cents=None, status="envisaged")
    section = queries.project_supports(team.advisor, team.project)
    assert section.totals == {"envisaged": 0, "requested": 123_456, "granted": 30,
                              "refused": 0, "paid": 0}
    assert section.granted_cents == 30
    with app.test_request_context():
        from incubator.i18n import _money
        assert _money(30) == "€0.30" or "0.30" in _money(30)

"""Demo referrals (issue 11): the project closed as redirected has its outgoing referral,
a project came to the pole from the DLA, others were sent to a funder or an incubator,
one still waiting for an answer. Written through ``services.refer``, back-dated."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import Partner, Project, ProjectStatus, User
from .services import refer

# Project title, partner name, direction, weeks ago (None: the day it was closed; "created":
# the day it was written), outcome, reason, note on the outcome.
REFERRALS: tuple[tuple, ...] = (
    ("Conserverie de légumes locaux", "CAE Vilaine Entreprendre", "outgoing", None,
     "taken_up", "Tester l’activité de transformation en entrepreneuse salariée avant de "
     "créer une structure.", "Entrée en CAE : contrat d’appui au projet d’entreprise signé."),
    ("Service d’aide à domicile en SCOP", "DLA d’Ille-et-Vilaine", "incoming", "created",
     "taken_up", "Association d’aide à domicile qui envisage sa transformation en SCOP : "
     "le DLA l’adresse au pôle pour l’accompagnement coopératif.", ""),
    ("Boulangerie paysanne en coopérative", "France Active Bretagne", "outgoing", 9,
     "taken_up", "Garantie du prêt bancaire pour le four et le fournil.",
     "Garantie accordée en comité."),
    ("Tiers-lieu de la gare de Pipriac", "TAg 35 — propulseur d’entrepreneuriat collectif",
     "outgoing", 2, "pending", "Structurer le collectif et la gouvernance de la future SCIC.",
     ""),
)


def create_referrals(now: datetime, by: User | None) -> None:
    """The demo referrals, recorded by ``by`` (the demo manager); skipped for a project or
    partner the demo lacks."""
    projects = {p.title: p for p in db.session.scalars(
        select(Project).where(Project.title.in_({r[0] for r in REFERRALS})))}
    partners = {p.name: p for p in db.session.scalars(
        select(Partner).where(Partner.name.in_({r[1] for r in REFERRALS}))
        .options(joinedload(Partner.organisation)))}
    for title, name, direction, weeks, outcome, reason, note in REFERRALS:
        project, partner = projects.get(title), partners.get(name)
        if project is None or partner is None:
            continue
        if weeks is None and project.status == ProjectStatus.CLOSED and project.closed_at:
            at = project.closed_at
        elif weeks == "created" or weeks is None:
            at = project.created_at
        else:
            at = max(now - timedelta(weeks=weeks), project.created_at)
        refer(by, project, partner, direction=direction, referred_on=at.date(),
              reason=reason, outcome=outcome, outcome_note=note, now=at)

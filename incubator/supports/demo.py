"""Supports of the demo (issue 11): believable funding, premises and networking from the
demo partner bodies (``demo.PARTNERS``) to demo projects, played through the services with
back-dated moments so each has the status history a real one would have."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import Partner, Project, User
from .services import add_support, move_status

# Project title (its beginning), partner name, kind, programme, comment, and its statuses:
# (weeks ago, status, amount in euros or None); the first is the one it was added with.
SUPPORTS: tuple[tuple, ...] = (
    ("Boulangerie paysanne", "Région Bretagne", "grant", "Pass Création",
     "Dossier porté par le collectif ; accord partiel sur l’investissement du fournil.",
     ((30, "requested", "25000"), (20, "granted", "18000"))),
    ("Boulangerie paysanne", "France Active Bretagne", "guarantee",
     "Garantie France Active", "Garantie à 50 % du prêt bancaire.",
     ((26, "requested", "40000"), (18, "granted", "40000"))),
    ("Boulangerie paysanne", "Plateforme Initiative du Pays de Redon", "honour_loan",
     "Prêt d’honneur création", "",
     ((24, "requested", "8000"), (16, "granted", "8000"), (12, "paid", "8000"))),
    ("Ressourcerie textile", "Redon Agglomération", "premises",
     "Locaux vacants de la zone de Cap Nord", "Bail précaire de 23 mois, 300 m².",
     ((28, "envisaged", None), (22, "granted", None))),
    ("Ressourcerie textile", "Fondation de France — Grand Ouest", "grant",
     "Appel « Emploi et territoires »", "Refus : projet jugé trop avancé pour l’appel.",
     ((25, "requested", "15000"), (14, "refused", "15000"))),
    ("Ressourcerie textile", "Département d’Ille-et-Vilaine", "grant",
     "Fonds d’appui aux initiatives", "", ((6, "requested", "10000"),)),
    ("Service d’aide à domicile", "DREETS Bretagne", "grant", "Aide au démarrage IAE", "",
     ((40, "requested", "30000"), (32, "granted", "30000"), (20, "paid", "30000"))),
    ("Service d’aide à domicile", "Plateforme Initiative du Pays de Redon", "honour_loan",
     "Prêt d’honneur création", "", ((36, "granted", "5000"), (30, "paid", "5000"))),
    ("Atelier vélo participatif", "Commune de Redon", "premises", "",
     "Piste : l’ancien local des services techniques.", ((8, "envisaged", None),)),
    ("Atelier vélo participatif", "Crédit Coopératif — agence de Rennes", "loan", "",
     "", ((8, "envisaged", "12000"),)),
    ("Chantier d’éco-construction", "CRESS Bretagne", "networking",
     "Réseau des acteurs de l’éco-construction", "", ((10, "granted", None),)),
    ("Épicerie solidaire", "Fondation Pays de Vilaine Solidarités", "grant",
     "Fonds de solidarité alimentaire", "", ((4, "requested", "6000.50"),)),
)


def _cents(euros: str | None) -> int | None:
    return None if euros is None else int(Decimal(euros) * 100)


def create_supports(now: datetime, actor: User | None) -> None:
    """The demo's supports, through the services (back-dated with ``now``)."""
    projects = list(db.session.scalars(select(Project)))
    partners = {p.display_name: p for p in db.session.scalars(
        select(Partner).options(joinedload(Partner.organisation)))}
    for prefix, partner_name, kind, programme, comment, steps in SUPPORTS:
        project = next((p for p in projects if p.title.startswith(prefix)), None)
        partner = partners.get(partner_name)
        if project is None or partner is None:
            continue
        weeks, status, amount = steps[0]
        at = now - timedelta(weeks=weeks)
        support = add_support(actor, project, partner, kind=kind, amount_cents=_cents(amount),
                              status=status, status_on=at.date(), programme=programme,
                              comment=comment, now=at)
        for weeks, status, amount in steps[1:]:
            at = now - timedelta(weeks=weeks)
            move_status(actor, project, support, to_status=status, changed_on=at.date(),
                        amount_cents=_cents(amount), seen_version=support.version, now=at)

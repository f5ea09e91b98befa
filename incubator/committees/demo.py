"""Demo committees (issue 11): two past sittings of the pole — a selection committee and a
support committee — with people from demo partners and member organisations, a few demo
projects reviewed with scores and decisions (one favourable with conditions shared with its
holders), and an upcoming selection committee with projects on its agenda. Through the
committees' services, back-dated with ``now=``."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import Organisation, Partner, Project, ProjectStatus, User
from ..reference import committee_criteria
from . import services

# Who enters the sittings: the demo's manager (incubator.demo.MANAGER_EMAIL).
DEMO_MANAGER_EMAIL = "claire.rouxel@cades-redon.fr"

# name, weeks ago (negative: to come), place, notes, seats, reviews.
# Seats: ("partner" | "organisation", body name, contact index or None, name if none, role).
# Reviews: (project title, decision or None, scores in the criteria's order, conditions,
# comments, shared with the holders).
SITTINGS: tuple[tuple, ...] = (
    ("Comité de sélection", 14, "Redon — salle du conseil de Redon Agglomération",
     "Quatre dossiers présentés par les porteurs (15 minutes chacun, puis questions).",
     (("partner", "Redon Agglomération", 0, "", "Chargée de mission ESS"),
      ("partner", "France Active Bretagne", 0, "", ""),
      ("organisation", "SCIC Manger Local en Pays de Redon", 0, "", "Structure adhérente"),
      ("partner", "Région Bretagne", None, "Morgane Le Du", "Service ESS")),
     (("Boulangerie paysanne en coopérative", "go", (5, 4, 3, 5, 4, 3), "",
       "Collectif solide, approvisionnement en farine local déjà trouvé.", True),
      ("Ressourcerie textile «\u202fFil à fil\u202f»", "go_conditions", (4, 5, 3, 4, 3, 2),
       "Présenter un budget prévisionnel à trois ans et une lettre d’intention de la "
       "commune pour le local.",
       "Modèle économique fragile tant que le local n’est pas trouvé.", True),
      ("Atelier vélo participatif", "postpone", (3, 4, 2, 3, None, 2), "",
       "À représenter quand le collectif sera constitué en association.", False))),
    ("Comité d’appui", 6, "Pipriac — maison des associations", "",
     (("partner", "Plateforme Initiative du Pays de Redon", 0, "", ""),
      ("partner", "TAg 35 — propulseur d’entrepreneuriat collectif", 0, "", ""),
      ("organisation", "Coopérative Oust et Vilaine Énergies", None, "Jean-Marc Guillou",
       "Administrateur")),
     (("SCIC d’énergie citoyenne «\u202fVilaine Énergies\u202f»", "go", (5, 5, 4, 5, 5, 4), "",
       "Tour de table citoyen bien engagé ; appui pour le dossier Région.", True),
      ("Chantier d’éco-construction en terre-paille", "go_conditions", (3, 4, 4, 4, 3, 3),
       "Trouver une structure porteuse pour les chantiers participatifs.",
       "À orienter vers la CAE pour tester l’activité.", False))),
    ("Comité de sélection", -3, "Redon — salle du conseil de Redon Agglomération", "",
     (("partner", "Redon Agglomération", 0, "", "Chargée de mission ESS"),),
     (("Atelier vélo participatif", None, (), "", "", False),)),
)


def _seat_values(kind: str, body, contact: int | None, name: str, role: str) -> dict:
    """The ``services.add_seat`` arguments of a seat of SITTINGS ({} when its contact person
    is missing from the demo and no name is given)."""
    if contact is not None and contact < len(body.contacts):
        key = "partner_contact" if kind == "partner" else "organisation_contact"
        return {key: body.contacts[contact], "role": role}
    if not name:
        return {}
    return {"name": name, "role": role, ("partner" if kind == "partner" else "organisation"): body}


def create_committees(now: datetime) -> None:
    """The demo sittings (see SITTINGS), entered by the pole's manager; projects or bodies
    missing from the demo, or not in progress, are skipped. Flushes, does not commit."""
    staff = db.session.scalar(select(User).where(User.email == DEMO_MANAGER_EMAIL))
    titles = {review[0] for sitting in SITTINGS for review in sitting[5]}
    projects = {p.title: p for p in db.session.scalars(
        select(Project).where(Project.title.in_(titles)))}
    partners = {p.name: p for p in db.session.scalars(
        select(Partner).options(selectinload(Partner.contacts)))}
    organisations = {o.name: o for o in db.session.scalars(
        select(Organisation).options(selectinload(Organisation.contacts)))}
    criteria = committee_criteria()
    for name, weeks, place, notes, seats, reviews in SITTINGS:
        held = now - timedelta(weeks=weeks)
        created = min(held, now) - timedelta(weeks=3)
        sitting = services.create_sitting(staff, name=name, held_on=held.date(), place=place,
                                          notes=notes, now=created)
        for kind, body_name, contact, person, role in seats:
            body = (partners if kind == "partner" else organisations).get(body_name)
            values = _seat_values(kind, body, contact, person, role) if body else {}
            if values:
                services.add_seat(sitting, **values)
        for title, decision, scores, conditions, comments, shared in reviews:
            project = projects.get(title)
            if project is None or project.status not in (ProjectStatus.ACTIVE.value,
                                                         ProjectStatus.PAUSED.value):
                continue
            review = services.add_to_agenda(staff, sitting, project, now=created)
            if decision is None:
                continue
            given = {c.id: s for c, s in zip(criteria, scores, strict=False)}
            services.save_review(staff, sitting, review, review.version, decision=decision,
                                 scores=given, conditions=conditions, comments=comments,
                                 shared=shared, now=held + timedelta(hours=3))
    db.session.flush()

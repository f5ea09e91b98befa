"""Demo working groups: the cooperative workshops of the pole's presentation (éco-construction,
restauration bio hors domicile, services à la personne, hébergement de groupe) and a workshop
on cooperative statutes, with member organisations and demo projects, past meetings with
short minutes and attendance, and a next meeting. Through the services, back-dated with
``now``; flushes, does not commit."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from ..extensions import db
from ..models import Organisation, Project, User
from . import services

PARIS = ZoneInfo("Europe/Paris")

# name, kind, theme, description, organisations, projects, meetings: (weeks from now
# (negative: past), local time, hours, place, agenda, minutes, attendance (name, status)).
GROUPS: tuple[tuple, ...] = (
    ("Éco-construction", "working_group", "Éco-construction",
     "Artisans, SCOP du bâtiment et porteurs de projets qui bâtissent sain et local : "
     "terre-paille, bois du pays, chantiers participatifs.",
     ("SCOP Bâti Sain", "SCOP Les Ateliers du Canal"),
     ("Chantier d’éco-construction en terre-paille", "Menuiserie en bois local et réemploi"),
     ((-10, time(18, 30), 2, "Maison de l’ESS, Redon",
       "Tour de table des chantiers\nFilière bois local",
       "Sept présents. Point sur le chantier de Malansac : commande de paille groupée.\n"
       "Idée : une journée portes ouvertes au printemps.",
       (("Hervé Guillotin", "present"), ("Nadia Benali", "excused"))),
      (3, time(18, 30), 2, "Maison de l’ESS, Redon",
       "Journée portes ouvertes\nAssurances des chantiers participatifs", "", ()))),
    ("Restauration bio hors domicile", "working_group", "Restauration bio hors domicile",
     "Cantines, légumeries et producteurs : approvisionner la restauration collective du "
     "pays en produits bio et locaux.",
     ("SCIC Manger Local en Pays de Redon", "Les Jardins de Cocagne du Don"),
     ("Légumerie pour la restauration collective",
      "Cantine bio pour les collèges du pays de Redon"),
     ((-6, time(14, 0), 2, "Légumerie, Redon",
       "Volumes pour la rentrée\nMarchés publics : clauses locales",
       "Les collèges demandent 300 repas/jour. La légumerie peut suivre dès septembre si "
       "la SCIC porte la logistique.",
       (("Solenn Le Bihan", "present"),)),
      (5, time(14, 0), 2, "Collège Saint-Sauveur, Redon", "Visite de la cuisine centrale",
       "", ()))),
    ("Services à la personne", "working_group", "Services à la personne",
     "Aide à domicile, garde d’enfants, conciergerie : mutualiser les plannings et les "
     "formations des structures du territoire.",
     ("Cap Emploi Services", "Crèche parentale Les P’tits Loups"),
     ("Service d’aide à domicile en SCOP", "Garde d’enfants en horaires décalés",
      "Conciergerie solidaire en milieu rural"),
     ((-4, time(9, 30), 2, "Maison de l’ESS, Redon", "Formations communes\nRemplacements",
       "Accord pour une formation gestes et postures commune en mars.",
       (("Mickaël Danet", "present"),)),
      (2, time(9, 30), 2, "Cap Emploi Services, Redon", "Plannings partagés", "", ()))),
    ("Hébergement et accueil de groupe", "working_group", "Hébergement et accueil de groupe",
     "Gîtes de groupe et centres d’accueil : promotion commune et accueil des classes.",
     ("Habitat partagé Langon",), ("Gîte de groupe de l’ancien presbytère",),
     ((-8, time(10, 0), 2, "Langon", "Tarifs communs pour les classes",
       "Une grille de tarifs commune est proposée pour la saison prochaine.", ()),)),
    ("Atelier coopératif : statuts de SCIC et de SCOP", "workshop", "",
     "Un atelier pour les porteurs qui hésitent entre SCIC et SCOP : gouvernance, "
     "collèges, capital.",
     ("Coopérative Oust et Vilaine Énergies",),
     ("SCIC d’énergie citoyenne «\u202fVilaine Énergies\u202f»",
      "Boulangerie paysanne en coopérative"),
     ((-3, time(18, 0), 3, "Maison de l’ESS, Redon",
       "Collèges de sociétaires\nRépartition du capital",
       "Exemples de la SCIC Oust et Vilaine Énergies. Prochain atelier : les réserves "
       "impartageables.",
       (("Gaëlle Rouxel", "present"),)),
      (6, time(18, 0), 3, "Maison de l’ESS, Redon", "Les réserves impartageables", "",
       ()))),
)


def _local(now: datetime, weeks: int, at: time) -> datetime:
    day = (now + timedelta(weeks=weeks)).astimezone(PARIS).date()
    return datetime.combine(day, at, tzinfo=PARIS).astimezone(ZoneInfo("UTC"))


def create_groups(staff: User | None, now: datetime) -> None:
    """The demo groups (their projects' timelines get the "joined" events)."""
    names = {name for g in GROUPS for name in g[4]}
    titles = {title for g in GROUPS for title in g[5]}
    organisations = {o.name: o for o in db.session.scalars(
        select(Organisation).where(Organisation.name.in_(names)))}
    projects = {p.title: p for p in db.session.scalars(
        select(Project).where(Project.title.in_(titles)))}
    for name, kind, theme, description, members, joined, meetings in GROUPS:
        created = now - timedelta(weeks=26)
        group = services.create_group(staff, name=name, kind=kind, theme=theme,
                                      description=description, now=created)
        for member in members:
            if member in organisations:
                services.add_organisation(staff, group, organisations[member], created.date())
        for title in joined:
            project = projects.get(title)
            if project is not None and project.status in services.JOINABLE:
                services.add_project(staff, group, project, created.date(), now=created)
        for weeks, at, hours, place, agenda, minutes, attendance in meetings:
            starts = _local(now, weeks, at)
            meeting = services.create_meeting(
                staff, group, starts_at=starts, ends_at=starts + timedelta(hours=hours),
                place=place, agenda=agenda, minutes=minutes, now=min(starts, now))
            for person, status in attendance:
                services.record_attendance(meeting, name=person, status=status)
    db.session.flush()

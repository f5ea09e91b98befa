"""Demo data for the Pays de Redon: staff and holder accounts, projects and their history,
and the directory of the territory's ESS organisations (members of the pole and others).

Loaded by ``flask demo`` into a database whose reference data is already seeded. Fixed
logins so they can be printed; dates relative to now, drawn from a seeded generator so two
fresh databases get the same story.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

from flask import g
from sqlalchemy import delete, func, select
from sqlalchemy.orm import selectinload

from .accompaniment.demo import create_accompaniment
from .auth.services import create_user, find_user_by_email
from .auth.two_factor import save_security_rule
from .board.services import close_project, move_project, pause_project
from .checklists.demo import create_checklists
from .cohorts.demo import create_cohorts
from .committees.demo import create_committees
from .extensions import db
from .groups.demo import create_groups
from .members.services import create_organisation
from .mentoring.services import (
    end_mentorship,
    import_communes,
    link_mentor,
    log_hours,
    read_communes,
)
from .models import (
    LegalForm,
    Mentorship,
    MentorshipRole,
    Notification,
    Organisation,
    OrganisationContact,
    OutgoingMail,
    Partner,
    PartnerContact,
    Project,
    ProjectHolder,
    ProjectKind,
    ProjectStatus,
    Role,
    Stage,
    Theme,
    User,
    Visibility,
    utcnow,
)
from .next_steps.services import add_step, mark_done
from .notes.services import create_note
from .partners.demo import demo_partner_history
from .projects.services import create_project, submit_project
from .reference import DEFAULT_STAGES
from .referrals.demo import create_referrals
from .supports.demo import create_supports
from .territory.demo import create_territory_figures

MANAGER_EMAIL = "claire.rouxel@cades-redon.fr"

# (role, e-mail, password): the accounts printed by ``flask demo``.
DEMO_LOGINS: list[tuple[str, str, str]] = [
    ("manager", MANAGER_EMAIL, "demo-Redon-2026-direction"),
    ("advisor", "yann.legoff@cades-redon.fr", "demo-Vilaine-2026-accompagnement"),
    ("advisor", "sophie.maillard@cades-redon.fr", "demo-Vilaine-2026-suivi-projets"),
    ("holder", "marion.guerin@exemple.fr", "demo-Oust-2026-epicerie"),
    ("holder", "thomas.briand@exemple.fr", "demo-Oust-2026-recyclerie"),
    ("holder", "nadia.benali@exemple.fr", "demo-Oust-2026-aide-domicile"),
    ("holder", "erwan.lebihan@exemple.fr", "demo-Oust-2026-terre-paille"),
    ("mentor", "g.rouxel@example.org", "demo-Aff-2026-parrainage-energie"),
]

# key, role, name, e-mail. Accounts missing from DEMO_LOGINS get an unguessable password.
PEOPLE: list[tuple[str, Role, str, str]] = [
    ("claire", Role.MANAGER, "Claire Rouxel", MANAGER_EMAIL),
    ("yann", Role.ADVISOR, "Yann Le Goff", "yann.legoff@cades-redon.fr"),
    ("sophie", Role.ADVISOR, "Sophie Maillard", "sophie.maillard@cades-redon.fr"),
    ("marion", Role.HOLDER, "Marion Guérin", "marion.guerin@exemple.fr"),
    ("thomas", Role.HOLDER, "Thomas Briand", "thomas.briand@exemple.fr"),
    ("nadia", Role.HOLDER, "Nadia Benali", "nadia.benali@exemple.fr"),
    ("erwan", Role.HOLDER, "Erwan Le Bihan", "erwan.lebihan@exemple.fr"),
    ("lea", Role.HOLDER, "Léa Jouan", "lea.jouan@exemple.fr"),
    ("pierre-yves", Role.HOLDER, "Pierre-Yves Hamon", "pierre-yves.hamon@exemple.fr"),
    ("gwenaelle", Role.HOLDER, "Gwenaëlle Riou", "gwenaelle.riou@exemple.fr"),
    ("mathieu", Role.HOLDER, "Mathieu Chevalier", "mathieu.chevalier@exemple.fr"),
    ("aurelie", Role.HOLDER, "Aurélie Dréan", "aurelie.drean@exemple.fr"),
    ("samuel", Role.HOLDER, "Samuel Morin", "samuel.morin@exemple.fr"),
]

COLL, INDIV = ProjectKind.COLLECTIVE.value, ProjectKind.INDIVIDUAL.value
ASSO, SCOP, SCIC, COOP = "Association loi 1901", "SCOP", "SCIC", "Coopérative (autre)"
ESUS, UNDECIDED = "Entreprise commerciale ESUS", None  # not decided yet: no legal form


@dataclass(frozen=True)
class Idea:
    """One demo project. ``stage`` counts from 1 (Accueil); None for a draft."""

    title: str
    theme: str | None
    commune: str
    kind: str | None
    legal_form: str | None
    jobs: str | None
    funding: int | None  # euros
    pitch: str
    need: str
    target: str
    activity: str
    stage: int | None
    advisor: str | None = None
    holders: tuple[str, ...] = ()
    status: str = ProjectStatus.ACTIVE.value
    stalled: bool = False
    # Comment of a move back from the next stage, for a project that went backward once.
    back: str | None = None
    outcome: str | None = None
    reason: str | None = None


IDEAS: list[Idea] = [
    # Accueil
    Idea(
        "Repair café itinérant du pays de Redon", "Réemploi et économie circulaire",
        "Saint-Nicolas-de-Redon", COLL, ASSO, "0.5", 8000,
        "Un atelier de réparation gratuit qui tourne chaque mois dans une commune différente.",
        "Beaucoup d’appareils partent à la déchetterie pour une panne simple ; les communes "
        "rurales n’ont aucun lieu pour apprendre à réparer.",
        "Habitants des communes rurales, retraités bricoleurs prêts à transmettre.",
        "Un samedi par mois dans une salle communale, avec des bénévoles réparateurs et un "
        "outillage transporté dans une remorque.",
        1, None, ("thomas",),
    ),
    Idea(
        "Tiers-lieu de la gare de Pipriac", "Numérique", "Pipriac", COLL, SCIC, "2.0", 120000,
        "Transformer l’ancienne halle de la gare en tiers-lieu : coworking, atelier partagé et "
        "café.",
        "Les télétravailleurs et indépendants du sud du pays n’ont pas d’espace de travail "
        "partagé à moins de 25 km.",
        "Télétravailleurs, indépendants, associations locales, jeunes en recherche d’emploi.",
        "Location de postes de travail, ateliers d’initiation au numérique, programmation "
        "associative le week-end.",
        1, "sophie", ("aurelie",),
    ),
    Idea(
        "Conciergerie solidaire en milieu rural", "Services à la personne", "Guémené-Penfao",
        INDIV, ESUS, "1.0", 15000,
        "Une conciergerie qui rend de petits services aux habitants isolés : courses, "
        "démarches, petits dépannages.",
        "Les personnes âgées sans voiture renoncent à des démarches et à des achats faute de "
        "transport.",
        "Personnes âgées et familles sans véhicule des communes rurales.",
        "Tournées hebdomadaires sur abonnement modique, en lien avec les CCAS.",
        1, None, ("nadia",),
    ),
    Idea(
        "Boulangerie paysanne en coopérative", "Alimentation et circuits courts", "Peillac",
        COLL, SCOP, "3.0", 90000,
        "Trois paysans-boulangers veulent produire leur blé, le moudre et vendre leur pain "
        "au bourg.",
        "Le bourg a perdu sa boulangerie en 2023 ; les habitants font 10 km pour acheter du "
        "pain.",
        "Habitants de Peillac et des communes voisines, cantines scolaires.",
        "Fournil au levain, vente au bourg trois jours par semaine et sur deux marchés.",
        1, "yann", ("pierre-yves",),
    ),
    Idea(
        "Garde d’enfants en horaires décalés", "Services à la personne", "Redon", COLL,
        UNDECIDED, "4.0", None,
        "Besoin repéré par le pôle avec les employeurs de la zone d’activités : une solution de "
        "garde tôt le matin et le soir.",
        "Les salariés en horaires postés, souvent des mères seules, refusent des emplois faute "
        "de garde avant 7 h et après 19 h.",
        "Familles dont les parents travaillent en horaires décalés.",
        "À construire avec les entreprises, la CAF et les assistantes maternelles du secteur.",
        1, "sophie", (),
    ),
    Idea(
        "Atelier vélo participatif", "Mobilité", "Redon", COLL, ASSO, "1.0", 12000,
        "Un atelier où chacun répare son vélo avec l’aide d’un mécanicien et de bénévoles.",
        "Des vélos dorment dans les garages alors que beaucoup de jeunes et de demandeurs "
        "d’emploi n’ont pas de moyen de transport.",
        "Lycéens, demandeurs d’emploi, habitants de Redon.",
        "Permanences trois fois par semaine, vente de vélos reconditionnés, marquage "
        "antivol.",
        1, None, ("mathieu",),
    ),
    Idea(
        "Ferme pédagogique et accueil paysan", "Agriculture", "Renac", INDIV, UNDECIDED, "1.0",
        35000,
        "Ouvrir une petite ferme d’élevage aux écoles et aux familles, avec des nuitées à la "
        "ferme.",
        "Les écoles du secteur cherchent des sorties nature proches et abordables.",
        "Écoles primaires, centres de loisirs, familles en vacances.",
        "Visites pédagogiques, ateliers soins aux animaux, deux chambres d’accueil paysan.",
        1, "yann", ("gwenaelle",),
    ),
    Idea(
        "Laverie solidaire et lieu d’entraide", "Santé et solidarités", "Guipry-Messac", COLL,
        ASSO, "1.5", 40000,
        "Une laverie à petit prix qui sert aussi de lieu d’accueil et d’orientation.",
        "Des familles mal logées n’ont pas de machine à laver ; la laverie la plus proche est "
        "à Redon.",
        "Familles précaires, personnes hébergées, saisonniers.",
        "Laverie en libre-service accompagné, permanences sociales, café d’entraide.",
        1, "sophie", ("samuel",), stalled=True,
    ),
    # Émergence
    Idea(
        "Épicerie solidaire de Bains-sur-Oust", "Alimentation et circuits courts",
        "Bains-sur-Oust", COLL, ASSO, "2.0", 45000,
        "Une épicerie ouverte à tous, avec des prix adaptés aux revenus pour les ménages "
        "orientés par les travailleurs sociaux.",
        "L’aide alimentaire locale ne propose que des colis ; les familles veulent choisir "
        "leurs produits.",
        "Ménages aux revenus modestes, et tous les habitants en double tarif.",
        "Épicerie avec produits locaux, ateliers cuisine et accompagnement budgétaire.",
        2, "sophie", ("marion",),
    ),
    Idea(
        "Ressourcerie textile « Fil à fil »", "Réemploi et économie circulaire", "Redon", COLL,
        ASSO, "4.0", 110000,
        "Collecter, trier et revendre les textiles du pays, en créant des emplois d’insertion.",
        "Les bornes textiles partent vers des centres de tri lointains ; rien n’est valorisé "
        "sur place.",
        "Personnes éloignées de l’emploi, habitants, associations de couture.",
        "Collecte, tri, boutique, atelier de retouche et d’upcycling.",
        2, "yann", ("samuel", "lea"),
    ),
    Idea(
        "Chantier d’éco-construction en terre-paille", "Éco-construction", "Malansac", COLL,
        SCOP, "3.0", 60000,
        "Une équipe d’artisans qui construit et rénove en terre-paille, avec des chantiers "
        "participatifs.",
        "La demande en rénovation écologique augmente mais peu d’entreprises locales maîtrisent "
        "les techniques terre et paille.",
        "Particuliers, communes, bailleurs sociaux.",
        "Chantiers de rénovation, formations courtes, chantiers participatifs encadrés.",
        2, "yann", ("erwan",),
        back="Retour en émergence : deux associés se sont retirés, le collectif est à "
        "reconstituer avant l’étude.",
    ),
    Idea(
        "Café associatif de Sixt-sur-Aff", "Culture", "Sixt-sur-Aff", COLL, ASSO, "1.0", 30000,
        "Rouvrir le dernier café du bourg en lieu associatif : bar, petite restauration et "
        "concerts.",
        "Le café a fermé il y a deux ans ; il n’y a plus de lieu de rencontre dans la commune.",
        "Habitants de tous âges, associations, artistes locaux.",
        "Bar ouvert cinq jours sur sept, épicerie de dépannage, programmation culturelle.",
        2, "sophie", ("lea",), stalled=True,
    ),
    Idea(
        "Habitat partagé pour personnes âgées", "Santé et solidarités", "Allaire", COLL, SCIC,
        "2.5", 250000,
        "Besoin porté par la commune : une maison partagée pour huit personnes âgées, au cœur "
        "du bourg.",
        "Des personnes âgées quittent la commune pour un EHPAD alors qu’elles pourraient vivre "
        "en autonomie accompagnée.",
        "Personnes âgées autonomes ou en légère perte d’autonomie, et leurs familles.",
        "Logements privatifs, espaces communs, animatrice de vie sociale.",
        2, "sophie", (),
    ),
    Idea(
        "Légumerie pour la restauration collective", "Restauration bio hors domicile",
        "Saint-Nicolas-de-Redon", COLL, SCIC, "3.0", 180000,
        "Laver, éplucher et découper les légumes bio locaux pour les cantines du territoire.",
        "Les cantines veulent du bio local mais n’ont ni le temps ni le personnel pour les "
        "légumes bruts.",
        "Cantines scolaires, EHPAD, maraîchers du pays de Redon.",
        "Atelier de transformation de quatrième gamme, logistique de livraison.",
        2, "yann", ("pierre-yves",),
    ),
    Idea(
        "Médiation numérique pour les seniors", "Numérique", "La Gacilly", COLL, ASSO, "1.0",
        25000,
        "Des permanences et des ateliers pour que les seniors fassent leurs démarches en "
        "ligne sans dépendre de leurs proches.",
        "La dématérialisation des services publics laisse de nombreux retraités sans solution.",
        "Personnes de plus de 65 ans, aidants familiaux.",
        "Permanences itinérantes dans les mairies, ateliers collectifs, prêt de tablettes.",
        2, "sophie", ("aurelie",),
    ),
    # Étude de faisabilité
    Idea(
        "Cantine bio pour les collèges du pays de Redon", "Restauration bio hors domicile",
        "Redon", COLL, SCIC, "6.0", 320000,
        "Une cuisine centrale coopérative qui prépare des repas bio et locaux pour quatre "
        "collèges.",
        "Les collèges peinent à atteindre les objectifs de la loi EGalim avec des prestataires "
        "éloignés.",
        "Collégiens, gestionnaires de restauration, producteurs bio du territoire.",
        "Cuisine centrale, approvisionnement auprès des producteurs locaux, éducation au goût.",
        3, "yann", ("pierre-yves",),
    ),
    Idea(
        "SCIC d’énergie citoyenne « Vilaine Énergies »", "Énergie", "Fégréac", COLL, SCIC, "1.0",
        450000,
        "Des habitants, des communes et des entreprises investissent ensemble dans des toitures "
        "solaires.",
        "Les toitures publiques du territoire sont inexploitées et les habitants veulent "
        "agir sur la transition.",
        "Habitants, communes, entreprises et associations du pays de Redon.",
        "Installation et exploitation de centrales photovoltaïques, animation citoyenne.",
        3, "yann", ("erwan",),
        back="Retour en faisabilité : permis refusé sur la toiture de la salle des sports, le "
        "plan de financement est à refaire avec d’autres toitures.",
    ),
    Idea(
        "Service d’aide à domicile en SCOP", "Services à la personne", "Redon", COLL, SCOP,
        "8.0", 140000,
        "Des aides à domicile créent leur propre coopérative pour mieux organiser leur travail.",
        "Turnover élevé dans le secteur et demandes non pourvues dans les communes rurales.",
        "Personnes âgées ou handicapées vivant à domicile, et les salariées elles-mêmes.",
        "Aide au ménage, accompagnement, portage de courses, avec des tournées de proximité.",
        3, "sophie", ("nadia",),
    ),
    Idea(
        "Auto-partage rural et transport solidaire", "Mobilité", "Allaire", COLL, ASSO, "1.5",
        70000,
        "Des voitures partagées dans les bourgs et des chauffeurs bénévoles pour ceux qui ne "
        "conduisent pas.",
        "Sans voiture, l’accès à l’emploi et aux soins est très difficile hors de Redon.",
        "Demandeurs d’emploi, personnes âgées, jeunes sans permis.",
        "Flotte de véhicules en libre-service, réservation par téléphone, transport solidaire.",
        3, "sophie", ("mathieu",), stalled=True,
    ),
    Idea(
        "Gîte de groupe de l’ancien presbytère", "Hébergement et accueil de groupe", "Langon",
        COLL, SCIC, "2.0", 380000,
        "Rénover le presbytère de Langon en gîte de groupe de 30 places, en éco-construction.",
        "Aucune capacité d’hébergement de groupe pour les classes vertes et les associations "
        "sur la vallée de la Vilaine.",
        "Écoles, associations sportives et culturelles, familles, randonneurs.",
        "Gîte de groupe, salle d’activités, partenariats avec les acteurs du tourisme.",
        3, "yann", ("gwenaelle",),
    ),
    Idea(
        "Drive fermier des producteurs de Carentoir", "Alimentation et circuits courts",
        "Carentoir", COLL, COOP, "1.0", 50000,
        "Besoin repéré avec la chambre d’agriculture : un point de retrait commun pour les "
        "commandes en ligne des producteurs.",
        "Les producteurs perdent du temps en livraisons dispersées ; les actifs n’ont pas le "
        "temps d’aller au marché.",
        "Actifs du territoire, producteurs locaux.",
        "Boutique en ligne commune, retrait le vendredi soir dans un local partagé.",
        3, "yann", (),
    ),
    # Lancement
    Idea(
        "Recyclerie du pays de Redon", "Réemploi et économie circulaire", "Rieux", COLL, ASSO,
        "5.0", 160000,
        "Collecter, remettre en état et revendre meubles et objets, et sensibiliser au "
        "réemploi.",
        "Des tonnes d’objets réutilisables finissent enfouies ; pas de recyclerie sur le "
        "territoire.",
        "Habitants, intercommunalité, personnes en insertion.",
        "Collecte en déchetterie, atelier de valorisation, boutique solidaire, animations.",
        4, "yann", ("thomas",),
    ),
    Idea(
        "Garage solidaire de l’Oust", "Insertion par l’activité économique", "Peillac", COLL,
        ASSO, "3.0", 95000,
        "Un garage qui répare à prix coûtant les véhicules des personnes aux revenus modestes.",
        "Une panne de voiture fait perdre un emploi ; les réparations sont trop chères pour "
        "les ménages précaires.",
        "Ménages modestes orientés par les prescripteurs, salariés en insertion.",
        "Entretien et réparation, location de véhicules à petit prix, formation mécanique.",
        4, "sophie", ("thomas", "mathieu"),
    ),
    Idea(
        "Compagnie de théâtre en milieu rural", "Culture", "Saint-Jean-la-Poterie", COLL, ASSO,
        "1.0", 20000,
        "Une compagnie qui joue dans les salles des fêtes et crée des spectacles avec les "
        "habitants.",
        "Peu d’offre culturelle vivante hors de Redon, surtout pour les adolescents.",
        "Habitants des petites communes, collèges, EHPAD.",
        "Tournée de spectacles, ateliers théâtre, créations participatives.",
        4, "sophie", ("lea",), stalled=True,
    ),
    Idea(
        "Maraîchage bio en insertion", "Insertion par l’activité économique", "Avessac", COLL,
        ASSO, "6.0", 130000,
        "Un chantier d’insertion maraîcher qui vend des paniers bio et forme aux métiers "
        "agricoles.",
        "Les personnes éloignées de l’emploi manquent de supports d’insertion dans le nord du "
        "territoire.",
        "Personnes en insertion, consommateurs de paniers, cantines.",
        "Production de légumes bio sur 3 hectares, paniers hebdomadaires, accompagnement "
        "socio-professionnel.",
        4, "yann", ("samuel",),
    ),
    # Développement
    Idea(
        "Festival des Rives de l’Oust", "Culture", "Bains-sur-Oust", COLL, ASSO, "1.0", 45000,
        "Un festival de musique et d’arts de rue éco-conçu, porté par des bénévoles.",
        "Les jeunes du territoire partent l’été faute d’événements ; les associations "
        "veulent mutualiser leurs forces.",
        "Jeunes, familles, touristes, associations locales.",
        "Festival de deux jours en juillet, actions culturelles à l’année.",
        5, "sophie", ("lea", "aurelie"),
    ),
    Idea(
        "Épicerie vrac coopérative de La Gacilly", "Alimentation et circuits courts",
        "La Gacilly", COLL, COOP, "2.0", 80000,
        "Une épicerie en vrac gérée par ses clients-sociétaires, avec des produits locaux.",
        "Pas d’offre de vrac ni de produits bio locaux accessibles dans le bourg.",
        "Habitants, touristes, producteurs locaux.",
        "Épicerie ouverte six jours sur sept, commandes groupées, ateliers zéro déchet.",
        5, "yann", ("marion",),
    ),
    Idea(
        "Menuiserie en bois local et réemploi", "Éco-construction", "Théhillac", COLL, SCOP,
        "3.0", 70000,
        "Une menuiserie coopérative qui travaille le bois du pays et les matériaux de réemploi.",
        "Le bois local part hors du territoire et les matériaux de déconstruction sont jetés.",
        "Particuliers, artisans du bâtiment, collectivités.",
        "Agencement, mobilier, menuiseries extérieures, vente de matériaux de réemploi.",
        5, "sophie", ("erwan",),
    ),
    # En pause
    Idea(
        "AMAP et point de retrait à Fégréac", "Alimentation et circuits courts", "Fégréac", COLL,
        ASSO, "0.5", 5000,
        "Créer une AMAP qui relie trois producteurs et une quarantaine de familles.",
        "Les producteurs cherchent des débouchés stables, les familles des produits locaux.",
        "Familles de Fégréac et des environs, producteurs bio.",
        "Distribution hebdomadaire de paniers, contrats saisonniers, visites de fermes.",
        2, "sophie", ("marion",), status=ProjectStatus.PAUSED.value,
    ),
    Idea(
        "Accueil de jour pour personnes isolées", "Santé et solidarités", "Pipriac", COLL, ASSO,
        "2.0", 60000,
        "Un lieu d’accueil de jour pour rompre l’isolement des personnes âgées et de leurs "
        "aidants.",
        "Les aidants familiaux s’épuisent et n’ont pas de relais en journée.",
        "Personnes âgées isolées, aidants familiaux.",
        "Accueil deux jours par semaine, activités, transport depuis le domicile.",
        3, "yann", ("nadia",), status=ProjectStatus.PAUSED.value,
    ),
    # Clos
    Idea(
        "Bar-restaurant coopératif « Le Quai »", "Alimentation et circuits courts", "Redon",
        COLL, SCOP, "4.0", 200000,
        "Un bar-restaurant sur le port, en SCOP, qui cuisine les produits du pays.",
        "Le port manquait d’un lieu de restauration ouvert à l’année et accessible.",
        "Habitants, salariés du centre-ville, plaisanciers.",
        "Restauration du midi, bar le soir, concerts le week-end.",
        5, "yann", ("gwenaelle",), status=ProjectStatus.CLOSED.value, outcome="launched",
        reason="Activité consolidée : quatre postes en CDI, sortie de l’accompagnement.",
    ),
    Idea(
        "Conserverie de légumes locaux", "Alimentation et circuits courts", "Sainte-Marie",
        INDIV, UNDECIDED, "1.0", 40000,
        "Transformer les surplus des maraîchers en conserves et bocaux.",
        "Les maraîchers jettent une partie de leur production en été.",
        "Maraîchers, épiceries, restauration collective.",
        "Atelier de transformation à façon, vente en épiceries.",
        2, "sophie", ("samuel",), status=ProjectStatus.CLOSED.value, outcome="redirected",
        reason="Orientée vers une coopérative d’activité et d’emploi pour tester l’activité "
        "en entrepreneur salarié.",
    ),
    Idea(
        "Friperie et atelier de couture", "Réemploi et économie circulaire", "Guipry-Messac",
        COLL, ASSO, "1.0", 25000,
        "Une friperie associée à un atelier de couture et de retouche.",
        "Pas de friperie dans la commune ; des habitantes savent coudre et veulent transmettre.",
        "Habitants, familles, jeunes.",
        "Boutique trois jours par semaine, ateliers couture.",
        3, "sophie", ("nadia",), status=ProjectStatus.CLOSED.value, outcome="abandoned",
        reason="Pas de local à un loyer soutenable ; les porteuses ont retrouvé un emploi "
        "salarié.",
    ),
    Idea(
        "Navette fluviale touristique sur la Vilaine", "Tourisme", "Rieux", COLL, UNDECIDED,
        "2.0", 300000,
        "Une navette électrique entre Redon et Rieux pour les visiteurs et les habitants.",
        "Le tourisme fluvial est peu valorisé et les déplacements de loisirs se font en "
        "voiture.",
        "Touristes, randonneurs, habitants.",
        "Navette saisonnière, visites commentées, location de bateaux électriques.",
        2, "yann", ("gwenaelle",), status=ProjectStatus.CLOSED.value, outcome="abandoned",
        reason="Investissement trop lourd pour une activité de quatre mois par an ; l’idée "
        "rejoint la réflexion du groupe tourisme.",
    ),
    # Brouillons
    Idea(
        "Jardin partagé et compostage de quartier", "Agriculture", "Bains-sur-Oust", COLL, None,
        None, None,
        "Un jardin partagé au pied des logements sociaux, avec un composteur collectif.",
        "Les habitants des immeubles n’ont pas de jardin.",
        "", "", None, None, ("marion",), status=ProjectStatus.DRAFT.value,
    ),
    Idea(
        "Navette solidaire vers le marché de Redon", "Mobilité", "Avessac", None, None, None,
        None,
        "Une navette le lundi matin pour emmener les habitants au marché de Redon.",
        "", "", "", None, None, ("mathieu",), status=ProjectStatus.DRAFT.value,
    ),
]

# Comments an advisor may leave when moving a project forward, by destination stage.
FORWARD_COMMENTS: dict[int, list[str]] = {
    2: [
        "Premier rendez-vous fait : besoin confirmé, collectif à étoffer.",
        "Idée qualifiée en réunion d’équipe.",
        "Rencontre positive avec la mairie.",
    ],
    3: [
        "Collectif constitué, premiers partenaires identifiés.",
        "Passage validé en comité d’appui.",
        "Étude de marché à mener avec une structure adhérente.",
    ],
    4: [
        "Statuts déposés, premier financement accordé.",
        "Plan de financement bouclé avec les financeurs solidaires.",
        "Structure immatriculée, ouverture prévue au printemps.",
    ],
    5: [
        "Premiers emplois créés, activité à consolider.",
        "Première année conforme au prévisionnel.",
    ],
}

# Days since submission and days since entering the current stage, by stage.
AGE_DAYS = {1: (2, 40), 2: (60, 220), 3: (180, 400), 4: (330, 520), 5: (420, 540)}
IN_STAGE_DAYS = {1: (0, 0), 2: (10, 40), 3: (15, 44), 4: (20, 44), 5: (30, 44)}


# What an advisor writes after a meeting, for the last activity of an active project.
RECENT_NOTES = (
    ("meeting", "Point d’étape avec les porteurs : le calendrier tient, prochain rendez-vous "
                "fixé."),
    ("call", "Appel pour préparer le dossier de financement ; pièces à compléter."),
    ("visit", "Visite du local envisagé avec la mairie : surface suffisante, travaux légers."),
    ("email", "Échange de courriels sur le budget prévisionnel, version corrigée reçue."),
)
# Next steps an advisor agrees on with the holders, and in how many days they are due.
NEXT_STEPS = (
    ("Envoyer le budget prévisionnel", 10),
    ("Prendre rendez-vous avec la mairie", 7),
    ("Compléter le dossier France Active", 21),
    ("Rencontrer une structure adhérente pour le parrainage", 14),
    ("Préparer le passage en comité d’appui", 28),
)
PAUSE_REASON = "Les porteurs mettent le projet entre parenthèses quelques mois."


# The territory's ESS organisations (invented, believable): name, family, commune (with its
# INSEE code), sector, salaried headcount (None: only the band is known), year joined the
# pole (None: not a member), skills offered for mentoring, mentoring capacity, contacts.
ORGANISATIONS: tuple[dict, ...] = (
    dict(name="Coopérative Oust et Vilaine Énergies", family="cooperative",
         legal_category="5560", commune="Redon", commune_insee="35236",
         sector="Énergies renouvelables", headcount=3, member_since=2016,
         skills="Financement participatif\nGouvernance coopérative", mentoring_capacity=2,
         contacts=({"name": "Gaëlle Rouxel", "role": "Co-gérante",
                    "email": "g.rouxel@example.org"},)),
    dict(name="SCOP Les Ateliers du Canal", family="cooperative", legal_category="5458",
         commune="Redon", commune_insee="35236", sector="Artisanat", headcount=14,
         member_since=2012, skills="Comptabilité\nGestion de production\nRecrutement",
         mentoring_capacity=2,
         contacts=({"name": "Hervé Guillotin", "role": "Gérant",
                    "email": "h.guillotin@example.org", "phone": "02 99 00 10 20"},)),
    dict(name="SCIC Manger Local en Pays de Redon", family="cooperative",
         legal_category="5560", commune="Bains-sur-Oust", commune_insee="35013",
         sector="Alimentation", headcount=6, member_since=2018,
         skills="Circuits courts\nLogistique alimentaire", mentoring_capacity=3,
         contacts=({"name": "Solenn Le Bihan", "role": "Coordinatrice",
                    "email": "s.lebihan@example.org"},)),
    dict(name="Association Ressourcerie de la Vilaine", family="association",
         legal_category="9220", commune="Saint-Nicolas-de-Redon", commune_insee="44185",
         sector="Réemploi", headcount=11, member_since=2014,
         skills="Insertion par l’activité économique\nRéemploi", mentoring_capacity=2,
         contacts=({"name": "Mickaël Danet", "role": "Directeur",
                    "email": "m.danet@example.org"},)),
    dict(name="Mutuelle Solidaire de l’Ouest — agence de Redon", family="mutual",
         legal_category="8210", commune="Redon", commune_insee="35236", sector="Santé",
         headcount=None, headcount_band="11", member_since=2019,
         skills="Protection sociale\nPrévention santé", mentoring_capacity=1,
         contacts=({"name": "Claire Mahé", "role": "Responsable d’agence",
                    "email": "c.mahe@example.org"},)),
    dict(name="Cap Emploi Services", family="esus_company", legal_category="5710",
         commune="Allaire", commune_insee="56001", sector="Services à la personne",
         headcount=22, member_since=2020, skills="Ressources humaines\nPaie",
         mentoring_capacity=1,
         contacts=({"name": "Nadia Benali", "role": "Présidente",
                    "email": "n.benali@example.org"},)),
    dict(name="Café associatif Le Lien", family="association", legal_category="9220",
         commune="Peillac", commune_insee="56154", sector="Culture", headcount=1,
         member_since=2021, skills="Animation de lieu\nBénévolat", mentoring_capacity=1),
    dict(name="Les Jardins de Cocagne du Don", family="association", legal_category="9220",
         commune="Guémené-Penfao", commune_insee="44067", sector="Maraîchage",
         headcount=18, member_since=2013,
         skills="Maraîchage biologique\nInsertion par l’activité économique",
         mentoring_capacity=2),
    dict(name="Atelier Vélo Redonnais", family="association", legal_category="9220",
         commune="Redon", commune_insee="35236", sector="Mobilité", headcount=0,
         member_since=2022, skills="Mécanique vélo\nAnimation d’ateliers",
         mentoring_capacity=1),
    dict(name="Fondation Pays de Vilaine Solidarités", family="foundation",
         legal_category="9300", commune="Redon", commune_insee="35236", sector="Solidarité",
         headcount=2, member_since=2017, skills="Mécénat\nMontage de dossiers de financement",
         mentoring_capacity=1),
    dict(name="SCOP Bâti Sain", family="cooperative", legal_category="5458",
         commune="Pipriac", commune_insee="35219", sector="Bâtiment", headcount=9,
         member_since=2015, skills="Éco-construction\nChiffrage de travaux",
         mentoring_capacity=1),
    dict(name="Épicerie solidaire L’Étal", family="association", legal_category="9220",
         commune="La Gacilly", commune_insee="56061", sector="Alimentation", headcount=2,
         member_since=2023, skills="Aide alimentaire", mentoring_capacity=0),
    dict(name="Compagnie théâtrale Les Marais", family="association", legal_category="9220",
         commune="Fégréac", commune_insee="44057", sector="Culture", headcount=3),
    dict(name="Crèche parentale Les P’tits Loups", family="association",
         legal_category="9220", commune="Rieux", commune_insee="56194",
         sector="Petite enfance", headcount=7),
    dict(name="CUMA de l’Aff", family="cooperative", legal_category="5560",
         commune="Sixt-sur-Aff", commune_insee="35328", sector="Agriculture", headcount=0),
    dict(name="Radio associative Vilaine FM", family="association", legal_category="9220",
         commune="Avessac", commune_insee="44007", sector="Médias", headcount=None,
         headcount_band="01"),
    dict(name="Entreprise d’insertion Tri Vert", family="esus_company",
         legal_category="5499", commune="Saint-Jean-la-Poterie", commune_insee="56223",
         sector="Réemploi", headcount=26),
    dict(name="Mutuelle Agricole du Pays de Redon", family="mutual", legal_category="8220",
         commune="Redon", commune_insee="35236", sector="Assurance", headcount=None,
         headcount_band="12"),
    dict(name="Association Familles Rurales de Carentoir", family="association",
         legal_category="9220", commune="Carentoir", commune_insee="56033",
         sector="Solidarité", headcount=4),
    dict(name="Habitat partagé Langon", family="other", legal_category="6540",
         commune="Langon", commune_insee="35145", sector="Habitat", headcount=None),
)


def _create_organisations() -> None:
    """The directory through its service, as staff would fill it."""
    for entry in ORGANISATIONS:
        fields = dict(entry)
        contacts = fields.pop("contacts", ())
        headcount = fields.get("headcount")
        fields["employer"] = bool(headcount) or fields.get("headcount_band", "") not in ("", "NN", "00")
        fields["is_member"] = fields.get("member_since") is not None
        create_organisation(None, contacts=contacts, **fields)


# Mentorships of the demo (issue 10): project title, organisation, role, contact (index in
# its contacts, or None), weeks since it started, weeks since it ended (None: current), and
# the hours given (weeks ago, hours, note).
MENTORSHIPS: tuple[tuple, ...] = (
    ("Boulangerie paysanne en coopérative", "SCIC Manger Local en Pays de Redon", "sponsor",
     0, 20, None, ((18, "2", "Premier rendez-vous : plan d’approvisionnement en farine."),
                   (12, "1.5", "Relecture du budget prévisionnel."),
                   (5, "3", "Visite du fournil d’une boulangerie partenaire."))),
    ("Boulangerie paysanne en coopérative", "SCOP Les Ateliers du Canal", "expert", 0, 14,
     None, ((10, "2.5", "Statuts de SCOP : atelier avec les associés."),)),
    ("Ressourcerie textile « Fil à fil »", "Association Ressourcerie de la Vilaine",
     "sponsor", 0, 30, None, ((26, "3", "Visite de la ressourcerie et du tri."),
                              (16, "2", "Organisation de la collecte."),
                              (6, "1.25", "Point sur les recrutements en insertion."))),
    ("SCIC d’énergie citoyenne « Vilaine Énergies »", "Coopérative Oust et Vilaine Énergies",
     "sponsor", 0, 40, None, ((36, "4", "Modèle de financement participatif."),
                              (20, "2", "Gouvernance : collèges de la SCIC."))),
    ("Atelier vélo participatif", "Atelier Vélo Redonnais", "support_body", None, 16, None,
     ((12, "3", "Prêt de l’atelier et des outils pour une journée test."),)),
    ("Service d’aide à domicile en SCOP", "Cap Emploi Services", "expert", 0, 24, 6,
     ((20, "2", "Convention collective et paie."), (10, "1.5", "Plannings des intervenantes."))),
    ("Chantier d’éco-construction en terre-paille", "SCOP Bâti Sain", "sponsor", None, 10,
     None, ((4, "2", "Chiffrage du chantier participatif."),)),
)


def _create_mentorships(now: datetime) -> None:
    """A few believable mentorships with hours, through the mentoring services (the
    notifications they would send are the caller's to drop)."""
    titles = {m[0] for m in MENTORSHIPS}
    projects = {p.title: p for p in db.session.scalars(
        select(Project).where(Project.title.in_(titles)))}
    organisations = {o.name: o for o in db.session.scalars(
        select(Organisation).options(selectinload(Organisation.contacts))
        .where(Organisation.name.in_({m[1] for m in MENTORSHIPS})))}
    staff = db.session.scalar(select(User).where(User.email == MANAGER_EMAIL))
    for title, name, role, contact, since, ended, hours in MENTORSHIPS:
        project, organisation = projects.get(title), organisations.get(name)
        if project is None or organisation is None:
            continue
        started = now - timedelta(weeks=since)
        mentorship = link_mentor(
            staff, project, organisation, role=role,
            contact=organisation.contacts[contact] if contact is not None else None,
            started_on=started.date(), now=started)
        for weeks, amount, note in hours:
            day = now - timedelta(weeks=weeks)
            log_hours(staff, mentorship, day.date(), Decimal(amount), note, project=project,
                      now=day)
        if ended is not None:
            day = now - timedelta(weeks=ended)
            end_mentorship(staff, project, mentorship, day.date(), mentorship.version, now=day)


# Partner bodies of the demo territory (issue 11): name, kind, contacts (name, role, e-mail,
# phone), notes. Addresses are example.org; no SIRET is made up.
PARTNERS: tuple[tuple, ...] = (
    ("Redon Agglomération", "intercommunalite",
     (("Claire Menard", "Chargée de mission ESS", "c.menard@example.org", "02 99 00 10 01"),),
     "Fonds de soutien aux initiatives locales ; prêt de locaux vacants."),
    ("Commune de Redon", "commune",
     (("Thomas Le Goff", "Adjoint à l’économie", "t.legoff@example.org", ""),), ""),
    ("Région Bretagne", "region",
     (("Service ESS", "Appels à projets ESS", "ess.region@example.org", ""),),
     "Appel à projets « Initiatives ESS » ; Pass Création."),
    ("Département d’Ille-et-Vilaine", "departement", (), "Fonds d’appui aux initiatives."),
    ("Département du Morbihan", "departement", (), ""),
    ("DREETS Bretagne", "state", (), "Aides à l’insertion par l’activité économique."),
    ("France Active Bretagne", "solidarity_funder",
     (("Yann Corre", "Chargé de financement", "y.corre@example.org", "02 99 00 20 02"),),
     "Garanties bancaires, prêts solidaires, primes."),
    ("Plateforme Initiative du Pays de Redon", "solidarity_funder",
     (("Sophie Brient", "Animatrice", "s.brient@example.org", ""),),
     "Prêts d’honneur à taux zéro."),
    ("Crédit Coopératif — agence de Rennes", "bank", (), ""),
    ("TAg 35 — propulseur d’entrepreneuriat collectif", "ess_network",
     (("Élodie Tanguy", "Chargée d’incubation", "e.tanguy@example.org", ""),),
     "Incubateur de projets collectifs d’Ille-et-Vilaine."),
    ("DLA d’Ille-et-Vilaine", "ess_network", (), "Dispositif local d’accompagnement."),
    ("CAE Vilaine Entreprendre", "ess_network", (),
     "Coopérative d’activité et d’emploi : tester son activité en entrepreneur salarié."),
    ("CRESS Bretagne", "ess_network", (), ""),
    ("Fondation de France — Grand Ouest", "foundation", (), ""),
)

# Organisations of the directory that are also partners (entered once): name, kind.
ORGANISATION_PARTNERS: tuple[tuple[str, str], ...] = (
    ("Fondation Pays de Vilaine Solidarités", "foundation"),
)


def _create_partners() -> None:
    """The partner bodies of the demo, and a directory organisation that is also one."""
    for name, kind, contacts, notes in PARTNERS:
        partner = Partner(name=name, kind=kind, notes=notes)
        partner.contacts = [PartnerContact(name=c[0], role=c[1], email=c[2], phone=c[3])
                            for c in contacts]
        db.session.add(partner)
    names = dict(ORGANISATION_PARTNERS)
    for organisation in db.session.scalars(
            select(Organisation).where(Organisation.name.in_(names))):
        db.session.add(Partner(organisation_id=organisation.id,
                               kind=names[organisation.name]))
    db.session.flush()


def load_communes() -> int:
    """The communes reference of the demo territory (incubator/data/, docs/members.md):
    added or updated; returns how many were read."""
    path = Path(__file__).parent / "data" / "communes-pays-de-redon.csv"
    rows = read_communes(path.read_text(encoding="utf-8").splitlines())
    import_communes(rows)
    return len(rows)


def load_demo() -> bool:
    """Add the demo accounts and projects; False (nothing added) when already loaded.

    The story goes through the services users call, each back-dated with ``now=`` and played
    in time order across projects, so every project has the history a real one would have
    (a StageMove per passage, a StatusChange per pause or close) and the columns' order is
    their order of arrival. The notifications and e-mails those services queue for a past
    that never happened are dropped. Flushes, does not commit.
    """
    if find_user_by_email(MANAGER_EMAIL) is not None:
        return False
    rng = random.Random(2026)
    now = utcnow()
    last_notification = db.session.scalar(select(func.max(Notification.id))) or 0
    last_mail = db.session.scalar(select(func.max(OutgoingMail.id))) or 0
    users = _create_people(now)
    stages = _by_name(Stage, [stage[0] for stage in DEFAULT_STAGES])
    themes = _by_name(Theme, {i.theme for i in IDEAS if i.theme})
    forms = _by_name(LegalForm, {i.legal_form for i in IDEAS if i.legal_form})
    stage_ids = [stages[stage[0]].id for stage in DEFAULT_STAGES]
    # WIP limits the pole set on its busiest stages (the feasibility column is over it).
    stages["Accueil"].wip_limit = 10
    stages["Étude de faisabilité"].wip_limit = 5

    first_seen: dict[str, datetime] = {}
    actions: list[tuple[datetime, int, int, Callable[[], object]]] = []
    for number, idea in enumerate(IDEAS):
        story = _story(idea, rng, now, users, stage_ids, themes, forms, first_seen)
        actions += [(at, number, order, act) for order, (at, act) in enumerate(story)]
    for _at, _number, _order, act in sorted(actions, key=lambda a: a[:3]):
        act()

    # Holders registered a little before writing their first idea.
    for key, when in first_seen.items():
        users[key].created_at = when - timedelta(days=1)
        users[key].privacy_accepted_at = when - timedelta(days=1)
    db.session.execute(delete(Notification).where(Notification.id > last_notification))
    db.session.execute(delete(OutgoingMail).where(OutgoingMail.id > last_mail))
    g.pop("queued_mail", None)
    _create_organisations()
    _create_partners()
    load_communes()
    db.session.flush()
    last_notification = db.session.scalar(select(func.max(Notification.id))) or 0
    last_mail = db.session.scalar(select(func.max(OutgoingMail.id))) or 0
    _create_mentorships(now)
    create_referrals(now, db.session.scalar(select(User).where(User.email == MANAGER_EMAIL)))
    create_supports(now, db.session.scalar(select(User).where(User.email == MANAGER_EMAIL)))
    create_groups(db.session.scalar(select(User).where(User.email == MANAGER_EMAIL)), now)
    create_cohorts(db.session.scalar(select(User).where(User.email == MANAGER_EMAIL)), now)
    demo_partner_history(now, db.session.scalar(select(User).where(User.email == MANAGER_EMAIL)))
    create_committees(now)
    create_accompaniment(now, db.session.scalar(select(User).where(User.email == MANAGER_EMAIL)))
    create_territory_figures(now, db.session.scalar(select(User).where(User.email == MANAGER_EMAIL)))
    create_checklists(now, db.session.scalar(select(User).where(User.email == MANAGER_EMAIL)))
    db.session.execute(delete(Notification).where(Notification.id > last_notification))
    db.session.execute(delete(OutgoingMail).where(OutgoingMail.id > last_mail))
    g.pop("queued_mail", None)
    _demo_mentor_account(users, now)
    # Demo logins work with their password alone: the pole's « Sécurité » settings say that
    # nobody must use two-factor authentication (a manager turns it on there; every account
    # may still set it up on /account).
    save_security_rule(db.session.scalar(select(User).where(User.email == MANAGER_EMAIL)), 0,
                       managers=False, advisors=False, mentors=False)
    db.session.flush()
    return True


# The demo mentor: a contact person of a member organisation with an active mentor account
# (its password printed with the other logins) and a current mentorship on one project.
DEMO_MENTOR_EMAIL = "g.rouxel@example.org"
DEMO_MENTORED_PROJECT = "SCIC d’énergie citoyenne «\u202fVilaine Énergies\u202f»"


def _demo_mentor_account(users: dict[str, User], now: datetime) -> None:
    """Gaëlle Rouxel (Coopérative Oust et Vilaine Énergies) gets an active mentor account
    and sponsors the citizen-energy project since four months, with a next step assigned to
    her and a note of hers. The notifications and mails this queues are dropped."""
    last_notification = db.session.scalar(select(func.max(Notification.id))) or 0
    last_mail = db.session.scalar(select(func.max(OutgoingMail.id))) or 0
    contact = db.session.scalar(
        select(OrganisationContact).where(OrganisationContact.email == DEMO_MENTOR_EMAIL))
    project = db.session.scalar(select(Project).where(Project.title == DEMO_MENTORED_PROJECT))
    password = next(p for _, email, p in DEMO_LOGINS if email == DEMO_MENTOR_EMAIL)
    mentor = create_user(contact.email, contact.name, Role.MENTOR, password,
                         privacy_accepted=True)
    mentor.created_at = mentor.privacy_accepted_at = now - timedelta(days=125)
    contact.user_id = mentor.id
    started = now - timedelta(days=120)
    # The demo's mentorships (MENTORSHIPS) may already link her organisation to the project:
    # she becomes its contact person then.
    current = db.session.scalar(select(Mentorship).where(
        Mentorship.project_id == project.id,
        Mentorship.organisation_id == contact.organisation_id, Mentorship.ended_on.is_(None)))
    if current is not None:
        current.contact_id = contact.id
    else:
        db.session.add(Mentorship(
            project_id=project.id, organisation_id=contact.organisation_id,
            role=MentorshipRole.SPONSOR.value, contact_id=contact.id,
            started_on=started.date(), created_by_id=users["claire"].id, created_at=started))
    db.session.flush()
    advisor = users["yann"] if project.advisor_id == users["yann"].id else users["sophie"]
    add_step(project, advisor, title="Présenter le montage financier au comité des sociétaires",
             due_on=(now + timedelta(days=12)).date(), assignee=mentor,
             now=now - timedelta(days=6))
    create_note(project, mentor, kind="meeting", happened_on=(now - timedelta(days=20)).date(),
                body="Rencontre avec le collectif : le financement participatif est bien "
                     "engagé, reste à préparer l’assemblée des futurs sociétaires.",
                visibility=Visibility.INTERNAL.value, now=now - timedelta(days=20))
    db.session.execute(delete(Notification).where(Notification.id > last_notification))
    db.session.execute(delete(OutgoingMail).where(OutgoingMail.id > last_mail))
    g.pop("queued_mail", None)


def _create_people(now: datetime) -> dict[str, User]:
    passwords = {email: password for _, email, password in DEMO_LOGINS}
    users = {}
    for key, role, name, email in PEOPLE:
        password = passwords.get(email) or secrets.token_urlsafe(24)
        user = create_user(email, name, role, password, privacy_accepted=True)
        user.created_at = user.privacy_accepted_at = now - timedelta(days=700)
        users[key] = user
    return users


def _by_name(model: type, names: Collection[str]) -> dict:
    """Reference rows by name; the demo needs the default lists seeded."""
    rows = {row.name: row for row in db.session.scalars(select(model).where(model.name.in_(names)))}
    missing = set(names) - set(rows)
    if missing:
        raise LookupError(f"reference data missing: {', '.join(sorted(missing))}")
    return rows


def _office_time(rng: random.Random, day: datetime) -> datetime:
    return day.replace(hour=rng.randint(7, 16), minute=rng.randrange(0, 60, 5), second=0,
                       microsecond=0)


def _story(
    idea: Idea,
    rng: random.Random,
    now: datetime,
    users: dict[str, User],
    stage_ids: list[int],
    themes: dict,
    forms: dict,
    first_seen: dict[str, datetime],
) -> list[tuple[datetime, Callable[[], object]]]:
    """What happens to ``idea``'s project, as (when, service call) in its own order: written,
    submitted, moved, paused or closed, followed up. The first call creates the project;
    the others use it."""
    manager = users["claire"]
    advisor = users[idea.advisor] if idea.advisor else None
    holders = [users[key] for key in idea.holders]
    author = holders[0] if holders else manager
    data = {
        "title": idea.title, "pitch": idea.pitch, "need": idea.need,
        "target_public": idea.target, "planned_activity": idea.activity,
        "commune": idea.commune, "kind": idea.kind,
        "theme_id": themes[idea.theme].id if idea.theme else None,
        "legal_form_id": forms[idea.legal_form].id if idea.legal_form else None,
        "jobs_envisaged": Decimal(idea.jobs) if idea.jobs else None,
        "funding_need": Decimal(idea.funding) if idea.funding is not None else None,
    }
    made: list[Project] = []

    def write(at: datetime) -> None:
        project = create_project(author, data, as_holder=bool(holders), now=at)
        # Co-holders and the advisor are set as the pole found them when the demo starts.
        project.advisor_id = advisor.id if advisor else None
        _link_holders(project, holders, at, first_seen)
        made.append(project)

    if idea.stage is None:  # a draft: written, not submitted
        written = now - timedelta(days=rng.randint(3, 30), hours=rng.randint(0, 12))
        return [(written, lambda: write(written))]

    # The day the story ends: now, or the closing day for closed projects.
    end = now
    if idea.status == ProjectStatus.CLOSED:
        end = _office_time(rng, now - timedelta(days=rng.randint(20, 90)))
    path = list(range(1, idea.stage + 1))
    if idea.back:
        path += [idea.stage + 1, idea.stage]
    age = rng.randint(*AGE_DAYS[idea.stage]) + 40 * (len(path) - idea.stage)
    in_stage = rng.randint(*IN_STAGE_DAYS[idea.stage])
    if idea.stalled or idea.status == ProjectStatus.PAUSED:
        in_stage = rng.randint(60, 110)
        age = max(age, in_stage + rng.randint(2, 10) + 30 * (len(path) - 1))
    days_ago = [age]
    if len(path) > 1:
        days_ago += sorted(rng.sample(range(in_stage + 1, age), len(path) - 2), reverse=True)
        days_ago.append(in_stage)
    times = [_office_time(rng, end - timedelta(days=d)) for d in days_ago]
    times = [min(t, end) for t in times]
    created = times[0] - (
        timedelta(days=rng.randint(1, 20), hours=rng.randint(1, 6))
        if holders else timedelta(hours=rng.randint(1, 4))
    )
    mover = advisor or manager
    story: list[tuple[datetime, Callable[[], object]]] = [
        (created, lambda: write(created)),
        (times[0], lambda: submit_project(made[0], author, now=times[0])),
    ]
    for step in range(1, len(path)):
        comment = None
        if path[step] < path[step - 1]:
            comment = idea.back
        elif rng.random() < 0.55:
            comment = rng.choice(FORWARD_COMMENTS[path[step]])
        stage_id, at = stage_ids[path[step] - 1], times[step]
        story.append((at, lambda stage_id=stage_id, at=at, comment=comment: move_project(
            made[0], mover, stage_id=stage_id, seen_version=made[0].version, comment=comment,
            now=at)))

    if idea.status == ProjectStatus.CLOSED:
        # A launched project created the jobs it envisaged (the close form records them).
        jobs = Decimal(idea.jobs) if idea.jobs and idea.outcome == "launched" else None
        story.append((end, lambda: close_project(made[0], mover, made[0].version,
                                                 idea.outcome, idea.reason,
                                                 jobs_created=jobs, now=end)))
    elif idea.stalled or idea.status == ProjectStatus.PAUSED:
        last = times[-1] + timedelta(days=rng.randint(1, 10))
        if idea.status == ProjectStatus.PAUSED:
            story.append((last, lambda: pause_project(made[0], mover, made[0].version,
                                                      idea.reason or PAUSE_REASON, now=last)))
        else:
            story.append((last, _note_call(made, mover, rng, last)))
    else:
        recent = max(now - timedelta(hours=rng.randint(2, 20 * 24)), times[-1])
        if len(path) > 1:  # the step agreed when it entered its stage, done since
            done_title, _ = rng.choice(NEXT_STEPS)
            agreed, done = times[-1], times[-1] + (recent - times[-1]) / 2
            step: list = []
            story.append((agreed, lambda: step.append(add_step(
                made[0], mover, title=done_title, due_on=(agreed + timedelta(days=14)).date(),
                assignee=mover, now=agreed))))
            story.append((done, lambda: mark_done(made[0], step[0], mover, now=done)))
        story.append((recent, _note_call(made, mover, rng, recent)))
        title, days = rng.choice(NEXT_STEPS)
        assignee = holders[0] if holders else mover
        story.append((recent, lambda: add_step(
            made[0], mover, title=title, due_on=(now + timedelta(days=days)).date(),
            assignee=assignee, now=recent)))
    return story


def _note_call(made: list[Project], author: User, rng: random.Random,
               at: datetime) -> Callable[[], object]:
    """The advisor's note of a meeting: the project's last activity."""
    kind, body = rng.choice(RECENT_NOTES)
    return lambda: create_note(made[0], author, kind=kind, happened_on=at.date(), body=body,
                               visibility=Visibility.INTERNAL.value, now=at)


def _link_holders(
    project: Project, holders: list[User], created_at: datetime, first_seen: dict[str, datetime]
) -> None:
    """The first holder wrote the idea (``create_project`` linked them); a second one joined
    a few days later."""
    for index, holder in enumerate(holders):
        added_at = created_at + timedelta(days=3 * index)
        if index:
            db.session.add(ProjectHolder(
                project_id=project.id, user_id=holder.id, added_at=added_at,
                added_by_id=holders[0].id,
            ))
        key = next(k for k, _, _, email in PEOPLE if email == holder.email)
        first_seen[key] = min(first_seen.get(key, added_at), added_at)
    db.session.flush()

"""Who could mentor a project: a scored ranking of the directory's organisations, each with
the reasons it is proposed (issue 10, "Mentoring", and docs/members.md).

The rules, in the order they weigh:
- skills offered (one per line) or sector sharing a word with the project's theme (search
  keys: accents and case ignored; words of four letters or more, "et", "de"… left out):
  « compétence : Circuits courts », else « secteur : Alimentation »;
- the same commune as the project (« même commune »), else the distance between the two
  communes' chefs-lieux from the communes reference (haversine, km rounded: « à 12 km »),
  a commune matched by its INSEE code, else by the search key of its name;
- capacity left = mentoring capacity − current mentorships (« capacité : 1 place sur 2 »);
  organisations whose capacity is taken are listed last, saying so;
- members of the pole before the others (« adhérent »).
Only organisations offering mentoring (a capacity above 0) and not archived are proposed,
nor those already mentoring the project. Four statements whatever the directory's size.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, or_, select
from sqlalchemy.orm import load_only

from ..extensions import db
from ..models import Commune, Mentorship, Organisation, Project, Theme
from ..text import search_key

SHOWN = 8
EARTH_RADIUS_KM = 6371.0
NEARBY_KM = 20  # beyond, a distance is no reason
# Words that say nothing about a skill.
STOP_WORDS = frozenset({"et", "de", "des", "du", "la", "le", "les", "hors", "pour", "par",
                        "aux", "avec", "sans", "autre", "domicile", "activite"})
_WORD = re.compile(r"[a-z0-9]+")

# Weights of the score (only their order matters to people: the reasons are what they read).
SKILL, SECTOR, SAME_COMMUNE, MEMBER, CAPACITY = 40, 25, 30, 15, 10


def words(text: str) -> set[str]:
    """The meaningful words of ``text``'s search key (4 letters or more, stop words out)."""
    return {w for w in _WORD.findall(search_key(text).replace("-", " "))
            if len(w) >= 4 and w not in STOP_WORDS}


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in km between two (latitude, longitude) points in degrees."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (math.sin((lat2 - lat1) / 2) ** 2
         + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2)
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h))


@dataclass
class Suggestion:
    organisation: Organisation
    score: int = 0
    reasons: list[str] = field(default_factory=list)
    distance_km: int | None = None
    capacity_left: int = 0
    full: bool = False


def _communes(codes: set[str], keys: set[str]) -> tuple[dict, dict]:
    """Coordinates of the communes named, by INSEE code and by name key (one query)."""
    conditions = []
    if codes:
        conditions.append(Commune.insee_code.in_(codes))
    if keys:
        conditions.append(Commune.name_key.in_(keys))
    by_code: dict[str, Commune] = {}
    by_key: dict[str, Commune] = {}
    if not conditions:
        return by_code, by_key
    for commune in db.session.scalars(select(Commune).where(or_(*conditions))):
        by_code[commune.insee_code] = commune
        by_key.setdefault(commune.name_key, commune)
    return by_code, by_key


def _place(code: str, key: str, by_code: dict, by_key: dict) -> tuple[float, float] | None:
    commune = by_code.get(code) if code else None
    commune = commune or by_key.get(key)
    if commune is None or commune.latitude is None or commune.longitude is None:
        return None
    return commune.latitude, commune.longitude


def suggestions(project: Project, limit: int = SHOWN) -> list[Suggestion]:
    """The organisations best placed to mentor ``project``, best first (those with no
    place left at the end), each with its reasons in the reader's language."""
    theme_name = ""
    if project.theme_id is not None:
        theme_name = db.session.scalar(select(Theme.name).where(Theme.id == project.theme_id))
    theme_words = words(theme_name or "")
    candidates = list(db.session.scalars(
        select(Organisation).options(load_only(
            Organisation.id, Organisation.name, Organisation.name_key, Organisation.sector,
            Organisation.sector_key, Organisation.commune, Organisation.commune_key,
            Organisation.commune_insee, Organisation.skills, Organisation.is_member,
            Organisation.mentoring_capacity, Organisation.archived_at,
            Organisation.version))
        .where(Organisation.archived_at.is_(None), Organisation.mentoring_capacity > 0)))
    if not candidates:
        return []
    taken = dict(db.session.execute(
        select(Mentorship.organisation_id, func.count())
        .where(Mentorship.ended_on.is_(None),
               Mentorship.organisation_id.in_([o.id for o in candidates]))
        .group_by(Mentorship.organisation_id)).all())
    already = set(db.session.scalars(select(Mentorship.organisation_id).where(
        Mentorship.project_id == project.id, Mentorship.ended_on.is_(None))))
    project_key = search_key(project.commune)
    by_code, by_key = _communes({o.commune_insee for o in candidates if o.commune_insee},
                                {project_key} | {o.commune_key for o in candidates})
    here = _place("", project_key, by_code, by_key)
    found = []
    for organisation in candidates:
        if organisation.id in already:
            continue
        found.append(_suggest(organisation, theme_words, project_key, here,
                              int(taken.get(organisation.id, 0)), by_code, by_key))
    found.sort(key=lambda s: (s.full, -s.score, s.organisation.name_key, s.organisation.id))
    return found[:limit]


def _suggest(organisation: Organisation, theme_words: set[str], project_key: str,
             here: tuple[float, float] | None, taken: int, by_code: dict,
             by_key: dict) -> Suggestion:
    suggestion = Suggestion(organisation)
    reasons = suggestion.reasons
    skill = next((line for line in organisation.skill_list if words(line) & theme_words),
                 None)
    if skill:
        suggestion.score += SKILL
        reasons.append(_("skill: %(skill)s", skill=skill))
    elif organisation.sector and words(organisation.sector) & theme_words:
        suggestion.score += SECTOR
        reasons.append(_("sector: %(sector)s", sector=organisation.sector))
    if project_key and organisation.commune_key == project_key:
        suggestion.score += SAME_COMMUNE
        suggestion.distance_km = 0
        reasons.append(_("same commune"))
    elif here is not None:
        there = _place(organisation.commune_insee, organisation.commune_key, by_code, by_key)
        if there is not None:
            km = round(haversine_km(here, there))
            suggestion.distance_km = km
            if km <= NEARBY_KM:
                suggestion.score += max(5, SAME_COMMUNE - km)
                reasons.append(_("%(km)d km away", km=km))
    capacity = organisation.mentoring_capacity
    suggestion.capacity_left = max(0, capacity - taken)
    suggestion.full = suggestion.capacity_left == 0
    if suggestion.full:
        reasons.append(ngettext("full: %(num)d place taken", "full: %(num)d places taken",
                                capacity))
    else:
        suggestion.score += CAPACITY
        reasons.append(ngettext("capacity: %(num)d place of %(total)d",
                                "capacity: %(num)d places of %(total)d",
                                suggestion.capacity_left, total=capacity))
    if organisation.is_member:
        suggestion.score += MEMBER
        reasons.append(_("member"))
    return suggestion

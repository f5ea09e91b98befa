"""From a table's columns and cells to organisation fields.

- ``guess_mapping``: each column's field, guessed from its header in French or English,
  accents, case and punctuation ignored ("Raison sociale", "N° SIRET", "Effectif(s)
  salarié(s)"); the preview lets the user change each guess or ignore the column.
- ``is_sirene``/``sirene_values``: an establishment extract in the INSEE Sirene format
  (the column names of the public StockEtablissement file, optionally joined with legal-unit
  columns) is recognised by its column names and read without mapping (docs/members.md).
- ``row_values``: one row's cells read into field values, or the reasons it is refused.
  An empty cell means "not given": it never erases a field.

Yes/no cells accept oui/non, yes/no, o/n, x, 1/0, vrai/faux, true/false; families their
French and English names; numbers French or English writing ("1 234"); a headcount must be
whole ("12,5" is refused).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from ..models import HEADCOUNT_BANDS, OrganisationFamily, clean_siret
from ..numbers import NumberRefused, parse_decimal
from ..params import parse_int
from ..text import search_key

IGNORE = ""

# The fields a column may fill, in the order the mapping menu lists them.
FIELD_LABELS = {
    "name": _l("Name"),
    "siret": _l("SIREN or SIRET"),
    "family": _l("Family"),
    "legal_category": _l("INSEE legal category"),
    "naf_code": _l("Main activity (NAF code)"),
    "sector": _l("Sector"),
    "commune": _l("Commune"),
    "commune_insee": _l("Commune INSEE code"),
    "headcount": _l("Salaried headcount"),
    "headcount_band": _l("INSEE headcount band"),
    "employer": _l("Employer"),
    "is_member": _l("Member of the pole"),
    "member_since": _l("Year joined"),
    "skills": _l("Skills offered for mentoring"),
    "mentoring_capacity": _l("Mentoring capacity"),
    "website": _l("Website"),
    "notes": _l("Notes"),
}
FIELDS = tuple(FIELD_LABELS)

# Header search keys (see _header_key) → field. French and English, with the usual variants.
_HEADERS = {
    "name": ("nom", "name", "raison sociale", "denomination", "nom de la structure",
             "structure", "organisation", "organization", "nom de l organisation",
             "organisme", "intitule", "enseigne"),
    "siret": ("siret", "siren", "n siret", "no siret", "numero siret", "siren siret",
              "siret siren", "numero siren"),
    "family": ("famille", "family", "type", "type de structure", "statut", "famille ess",
               "type d organisation"),
    "legal_category": ("forme juridique", "categorie juridique", "legal form",
                       "legal category", "code juridique", "cj", "insee legal category",
                       "categorie juridique insee"),
    "naf_code": ("code naf", "naf", "ape", "code ape", "naf ape", "code naf ape",
                 "activite principale", "main activity", "naf code", "main activity naf code"),
    "sector": ("secteur", "sector", "secteur d activite", "filiere", "domaine",
               "activite"),
    "commune": ("commune", "ville", "town", "city", "localite", "municipality"),
    "commune_insee": ("code insee", "insee", "code commune", "code insee commune",
                      "commune insee code", "insee code", "cog"),
    "headcount": ("effectif", "effectifs", "effectif salarie", "effectifs salaries",
                  "salaries", "nombre de salaries", "headcount", "salaried headcount",
                  "employees", "staff"),
    "headcount_band": ("tranche d effectif", "tranche d effectifs", "tranche effectif",
                       "tranche effectifs", "headcount band", "insee headcount band"),
    "employer": ("employeur", "employer", "structure employeuse"),
    "is_member": ("adherent", "adherente", "adherent e", "adherente s", "membre",
                  "member", "member of the pole", "membre du pole", "adhesion"),
    "member_since": ("annee d adhesion", "adherent depuis", "member since", "year joined",
                     "date d adhesion", "annee adhesion"),
    "skills": ("competences", "competence", "skills", "skills offered",
               "competences offertes", "skills offered for mentoring"),
    "mentoring_capacity": ("capacite de parrainage", "capacite parrainage",
                           "mentoring capacity", "capacite", "parrainages possibles"),
    "website": ("site web", "site", "site internet", "website", "web", "url"),
    "notes": ("notes", "note", "remarques", "commentaire", "commentaires", "observations",
              "comments"),
}
_HEADER_FIELD = {key: name for name, keys in _HEADERS.items() for key in keys}

_YES = {"oui", "o", "yes", "y", "x", "1", "vrai", "true", "v"}
_NO = {"non", "n", "no", "0", "faux", "false", "f"}

_FAMILIES = {
    OrganisationFamily.ASSOCIATION.value: (
        "association", "associations", "asso", "association loi 1901", "assoc"),
    OrganisationFamily.COOPERATIVE.value: (
        "cooperative", "cooperatives", "coop", "scop", "scic", "cae", "cooperative scop",
        "societe cooperative"),
    OrganisationFamily.MUTUAL.value: ("mutuelle", "mutuelles", "mutual", "mutuals",
                                      "mutualite"),
    OrganisationFamily.FOUNDATION.value: ("fondation", "fondations", "foundation",
                                          "foundations", "fonds de dotation"),
    OrganisationFamily.ESUS_COMPANY.value: (
        "entreprise esus", "esus", "esus company", "entreprise de l ess",
        "entreprise commerciale esus", "societe commerciale esus", "entreprise ess"),
    OrganisationFamily.OTHER.value: ("autre", "autres", "other", "others"),
}
_FAMILY_KEYS = {key: code for code, keys in _FAMILIES.items() for key in keys}

_NAF = re.compile(r"^(\d{2})\.?(\d{2})([A-Z])$")
_INSEE_COMMUNE = re.compile(r"^(?:\d{5}|2[AB]\d{3})$")


def _header_key(header: str) -> str:
    """"Effectif(s) salarié(s)" → "effectifs salaries"; "N° SIRET" → "n siret"."""
    key = search_key(header).replace("(s)", "s").replace("(e)", "e")
    key = re.sub(r"[^a-z0-9]+", " ", key.replace("°", " "))
    return " ".join(key.split())


def guess_mapping(header: list[str]) -> list[str]:
    """The field of each column (``IGNORE`` when unknown); a field is guessed once."""
    taken: set[str] = set()
    mapping = []
    for cell in header:
        guess = _HEADER_FIELD.get(_header_key(cell), IGNORE)
        if guess in taken:
            guess = IGNORE
        taken.add(guess)
        mapping.append(guess)
    return mapping


def mapping_errors(mapping: list[str]) -> list[str]:
    """What makes ``mapping`` unusable: no name column, a field chosen twice."""
    errors = []
    if "name" not in mapping:
        errors.append(_("Choose the column that holds the names of the organisations."))
    seen: set[str] = set()
    for name in mapping:
        if name and name in seen:
            errors.append(_("Two columns fill “%(field)s”: keep one, ignore the other.",
                            field=FIELD_LABELS[name]))
        seen.add(name)
    return errors


@dataclass
class RowValues:
    """One row read: the values given (empty cells left out), or why it is refused."""

    values: dict = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    closed: bool = False  # Sirene: a closed establishment


def row_values(cells: list[str], mapping: list[str]) -> RowValues:
    """The fields of one row of a pole's spreadsheet, read by ``mapping``."""
    given = {name: cells[index].strip() for index, name in enumerate(mapping)
             if name and index < len(cells) and cells[index].strip()}
    read = RowValues()
    for name, raw in given.items():
        try:
            read.values[name] = _READERS[name](raw)
        except ValueError as error:
            read.problems.append(str(error))
    if "name" not in read.values and not any(p.startswith(_("Name")) for p in read.problems):
        read.problems.insert(0, _("Missing name."))
    if read.values.get("member_since") is not None and "is_member" not in given:
        read.values["is_member"] = True
    if "family" not in read.values and read.values.get("legal_category"):
        family = family_of(read.values["legal_category"], None)
        if family != OrganisationFamily.OTHER.value:
            read.values["family"] = family
    return read


# Cell readers: each returns the value or raises ValueError with the reason shown.


def too_long(label, limit: int) -> str:
    return ngettext("%(field)s longer than %(num)d character.",
                    "%(field)s longer than %(num)d characters.", limit, field=label)


def _text(limit: int, label):
    def read(raw: str) -> str:
        value = " ".join(raw.split()) if limit <= 300 else raw.strip()
        if len(value) > limit:
            raise ValueError(too_long(label, limit))
        return value
    return read


def _siret(raw: str) -> str:
    try:
        return clean_siret(raw)
    except ValueError:
        raise ValueError(_("Bad SIRET “%(value)s” (neither 9 nor 14 digits with a valid key).",
                           value=raw[:30])) from None


def _family(raw: str) -> str:
    code = _FAMILY_KEYS.get(_header_key(raw))
    if code is None:
        raise ValueError(_("Unknown family “%(value)s”.", value=raw[:60]))
    return code


def _legal_category(raw: str) -> str:
    if not re.fullmatch(r"\d{4}", raw):
        raise ValueError(_("Bad legal category “%(value)s” (4 digits, e.g. 9220).",
                           value=raw[:30]))
    return raw


def naf(raw: str) -> str:
    match = _NAF.match(raw.replace(" ", "").upper())
    if not match:
        raise ValueError(_("Bad NAF code “%(value)s” (e.g. 88.99B).", value=raw[:30]))
    return f"{match[1]}.{match[2]}{match[3]}"


def _commune_insee(raw: str) -> str:
    value = raw.replace(" ", "").upper()
    if re.fullmatch("[0-9]{4}", value):  # a spreadsheet dropped the leading zero
        value = "0" + value
    if not _INSEE_COMMUNE.match(value):
        raise ValueError(_("Bad commune INSEE code “%(value)s” (5 characters, e.g. 35236).",
                           value=raw[:30]))
    return value


def _whole(label, minimum: int, maximum: int):
    def read(raw: str) -> int:
        try:
            value = parse_decimal(raw, places=0, maximum=maximum)
        except NumberRefused:
            raise ValueError(_("Bad number for %(field)s: “%(value)s” (a whole number).",
                               field=label, value=raw[:30])) from None
        whole = None if value is None else parse_int(str(value), minimum, maximum)
        if whole is None:
            raise ValueError(_("Bad number for %(field)s: “%(value)s” (from %(min)d to "
                               "%(max)d).", field=label, value=raw[:30], min=minimum,
                               max=maximum))
        return whole
    return read


# A date where a year is asked: an XLSX date cell (read as 2019-03-01, maybe with a time)
# or a French date (01/03/2019); its year is the year joined.
_DATE = re.compile(r"^\s*(?:(\d{4})-\d{1,2}-\d{1,2}(?:[ T][\d:.]+)?"
                   r"|\d{1,2}[/.-]\d{1,2}[/.-](\d{4}))\s*$")


def _year(raw: str) -> int:
    """The year joined: a year, or the year of a date (XLSX date cell, French date)."""
    date = _DATE.match(raw)
    if date:
        raw = date.group(1) or date.group(2)
    year = parse_int(raw, 1900, 2100, max_digits=4)
    if year is None:
        raise ValueError(_("Bad year joined “%(value)s” (e.g. 2019).", value=raw[:30]))
    return year


def _band(raw: str) -> str:
    value = raw.strip().upper()
    if re.fullmatch("[0-9]", value):  # "1" for "01": a spreadsheet's number
        value = "0" + value
    if value not in HEADCOUNT_BANDS:
        raise ValueError(_("Bad INSEE headcount band “%(value)s” (a Sirene code: 00, 01, "
                           "02, 03, 11…).", value=raw[:30]))
    return value


def yes_no(label):
    def read(raw: str) -> bool:
        key = _header_key(raw)
        if key in _YES:
            return True
        if key in _NO:
            return False
        raise ValueError(_("“%(value)s” for %(field)s: write yes or no.", value=raw[:30],
                           field=label))
    return read


def _skills(raw: str) -> str:
    skills = [" ".join(part.split()) for part in re.split(r"[;\n]", raw) if part.strip()]
    value = "\n".join(skills)
    if len(value) > 4000:
        raise ValueError(too_long(FIELD_LABELS["skills"], 4000))
    return value


_READERS = {
    "name": _text(200, FIELD_LABELS["name"]),
    "siret": _siret,
    "family": _family,
    "legal_category": _legal_category,
    "naf_code": naf,
    "sector": _text(100, FIELD_LABELS["sector"]),
    "commune": _text(100, FIELD_LABELS["commune"]),
    "commune_insee": _commune_insee,
    "headcount": _whole(FIELD_LABELS["headcount"], 0, 1_000_000),
    "headcount_band": _band,
    "employer": yes_no(FIELD_LABELS["employer"]),
    "is_member": yes_no(FIELD_LABELS["is_member"]),
    "member_since": _year,
    "skills": _skills,
    "mentoring_capacity": _whole(FIELD_LABELS["mentoring_capacity"], 0, 100),
    "website": _text(300, FIELD_LABELS["website"]),
    "notes": _text(8000, FIELD_LABELS["notes"]),
}


# INSEE Sirene --------------------------------------------------------------------------
# The family of an INSEE legal category (catégorie juridique, niveau III), docs/members.md
# "Sirene extracts" gives the table and its source.

_COOPERATIVE_CODES = frozenset({
    # SARL coopératives: construction, consommation, artisanale, maritime, transport, SCOP,
    # unions, autres
    "5443", "5451", "5453", "5454", "5455", "5458", "5459", "5460",
    # SA coopératives à conseil d'administration (HLM coopérative 5547 included)
    "5543", "5547", "5551", "5552", "5553", "5554", "5555", "5558", "5559", "5560",
    # SA coopératives à directoire
    "5643", "5647", "5651", "5652", "5653", "5654", "5655", "5658", "5659", "5660",
    # CUMA, coopératives agricoles et leurs unions
    "6316", "6317", "6318",
    # sociétés civiles coopératives; caisses de crédit mutuel et de crédit agricole mutuel
    "6543", "6551", "6554", "6558", "6560", "6595", "6596",
})
_MUTUAL_CODES = frozenset({"8210", "8250", "8290", "6411"})
_FOUNDATION_CODES = frozenset({"9300"})


def family_of(category: str, ess: str | None) -> str:
    """The family of INSEE legal category ``category``: 92xx associations, 9300
    foundations, 8210/8250/8290 and 6411 mutuals, the cooperative codes above; a company
    flagged ESS (``economieSocialeSolidaireUniteLegale`` = "O") is an ESUS company; any
    other code is "other"."""
    if category.startswith("92"):
        return OrganisationFamily.ASSOCIATION.value
    if category in _FOUNDATION_CODES:
        return OrganisationFamily.FOUNDATION.value
    if category in _MUTUAL_CODES:
        return OrganisationFamily.MUTUAL.value
    if category in _COOPERATIVE_CODES:
        return OrganisationFamily.COOPERATIVE.value
    if (ess or "").upper() == "O" and category[:1] == "5":
        return OrganisationFamily.ESUS_COMPANY.value
    return OrganisationFamily.OTHER.value


def is_known_category(category: str) -> bool:
    """Whether ``category`` gives a family (else it is counted as "other")."""
    return family_of(category, None) != OrganisationFamily.OTHER.value


SIRENE_REQUIRED = ("siret", "codecommuneetablissement", "etatadministratifetablissement")
SIRENE_NAMES = ("denominationunitelegale", "denominationusuelleetablissement",
                "enseigne1etablissement")
# Sirene column → the field it fills (shown on the preview instead of a mapping).
SIRENE_COLUMNS = {
    "siret": "siret", "denominationUniteLegale": "name",
    "denominationUsuelleEtablissement": "name", "enseigne1Etablissement": "name",
    "categorieJuridiqueUniteLegale": "legal_category",
    "economieSocialeSolidaireUniteLegale": "family",
    "activitePrincipaleEtablissement": "naf_code",
    "codeCommuneEtablissement": "commune_insee", "libelleCommuneEtablissement": "commune",
    "trancheEffectifsEtablissement": "headcount_band",
    "caractereEmployeurEtablissement": "employer",
}


def is_sirene(header: list[str]) -> bool:
    """Whether the columns are those of a Sirene establishment extract."""
    names = {cell.strip().lower() for cell in header}
    return all(name in names for name in SIRENE_REQUIRED) and bool(names & set(SIRENE_NAMES))


_SMALL_WORDS = {"de", "du", "des", "la", "le", "les", "sur", "sous", "en", "et", "aux", "au",
                "lès"}


def commune_label(label: str) -> str:
    """A Sirene commune label ("SAINT-NICOLAS-DE-REDON") as French writes it
    ("Saint-Nicolas-de-Redon"): words capitalised, linking words in lower case except
    first ("La Gacilly")."""
    words = re.split(r"([\s\-']+)", label.strip().lower())
    out = []
    for index, word in enumerate(words):
        if index and word in _SMALL_WORDS or not word or not word[0].isalpha():
            out.append(word)
        elif word in ("l", "d") and index + 1 < len(words) and words[index + 1] == "'":
            out.append(word if index else word.upper())
        else:
            out.append(word[0].upper() + word[1:])
    return "".join(out)


def sirene_values(cells: list[str], header: list[str], commune_names: dict[str, str],
                  ) -> RowValues:
    """One establishment of a Sirene extract read into field values. ``commune_names``
    (INSEE code → name, from the communes reference) gives a commune its accented name;
    else the Sirene label is title-cased."""
    row = {header[index].strip().lower(): cells[index].strip()
           for index in range(min(len(header), len(cells)))}
    read = RowValues(closed=row.get("etatadministratifetablissement", "").upper() == "F")
    try:
        read.values["siret"] = clean_siret(row.get("siret", ""))
    except ValueError:
        read.problems.append(_siret_problem(row.get("siret", "")))
    name = next((row[key] for key in SIRENE_NAMES if row.get(key)), "")
    if not name:
        read.problems.append(_("Missing name."))
    elif len(name) > 200:
        read.problems.append(too_long(FIELD_LABELS["name"], 200))
    else:
        read.values["name"] = name
    category = row.get("categoriejuridiqueunitelegale", "")
    if re.fullmatch(r"\d{4}", category):
        read.values["legal_category"] = category
        read.values["family"] = family_of(category,
                                          row.get("economiesocialesolidaireunitelegale"))
    elif (row.get("economiesocialesolidaireunitelegale") or "").upper() == "O":
        read.values["family"] = OrganisationFamily.ESUS_COMPANY.value
    if activity := row.get("activiteprincipaleetablissement"):
        try:
            read.values["naf_code"] = naf(activity)
        except ValueError as error:
            read.problems.append(str(error))
    code = row.get("codecommuneetablissement", "")
    if code:
        try:
            read.values["commune_insee"] = _commune_insee(code)
        except ValueError as error:
            read.problems.append(str(error))
    label = commune_names.get(read.values.get("commune_insee", "")) or commune_label(
        row.get("libellecommuneetablissement", ""))
    if label:
        read.values["commune"] = label[:100]
    band = row.get("trancheeffectifsetablissement", "")
    if band and band.upper() != "NN":
        try:
            read.values["headcount_band"] = _band(band)
        except ValueError as error:
            read.problems.append(str(error))
    employer = (row.get("caractereemployeuretablissement") or "").upper()
    if employer in ("O", "N"):
        read.values["employer"] = employer == "O"
    return read


def _siret_problem(raw: str) -> str:
    return _("Bad SIRET “%(value)s” (neither 9 nor 14 digits with a valid key).",
             value=raw[:30])

"""Labels of the organisations directory (the create and edit forms come next)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..models import OrganisationFamily

FAMILY_LABELS = {
    OrganisationFamily.ASSOCIATION.value: _l("Association"),
    OrganisationFamily.COOPERATIVE.value: _l("Cooperative"),
    OrganisationFamily.MUTUAL.value: _l("Mutual"),
    OrganisationFamily.FOUNDATION.value: _l("Foundation"),
    OrganisationFamily.ESUS_COMPANY.value: _l("ESUS company"),
    OrganisationFamily.OTHER.value: _l("Other"),
}

SORT_LABELS = {
    "name": _l("Name"),
    "commune": _l("Commune"),
    "headcount": _l("Headcount"),
    "member_since": _l("Year joined"),
}

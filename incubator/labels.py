"""Translated labels for the codes stored in the database (roles, statuses, kinds…)."""

from flask_babel import lazy_gettext as _l

ROLE_LABELS = {
    "holder": _l("Project holder"),
    "mentor": _l("Mentor"),
    "advisor": _l("Advisor"),
    "manager": _l("Manager"),
}

STATUS_LABELS = {
    "draft": _l("Draft"),
    "active": _l("In progress"),
    "paused": _l("Paused"),
    "closed": _l("Closed"),
}

KIND_LABELS = {
    "individual": _l("Individual"),
    "collective": _l("Collective"),
}

OUTCOME_LABELS = {
    "launched": _l("Launched"),
    "redirected": _l("Redirected to another support scheme"),
    "abandoned": _l("Abandoned"),
}

# Mentorship roles (PRODUCT.md, Mentorship): models.MentorshipRole codes.
MENTORSHIP_ROLE_LABELS = {
    "sponsor": _l("Sponsor"),
    "expert": _l("Expert"),
    "support_body": _l("Support body"),
}

# Committee decisions (PRODUCT.md, Committee review): models.CommitteeDecision codes.
COMMITTEE_DECISION_LABELS = {
    "go": _l("Favourable"),
    "go_conditions": _l("Favourable with conditions"),
    "postpone": _l("Postponed"),
    "no": _l("Unfavourable"),
}

LABELS = {
    "role": ROLE_LABELS,
    "status": STATUS_LABELS,
    "kind": KIND_LABELS,
    "outcome": OUTCOME_LABELS,
    "mentorship_role": MENTORSHIP_ROLE_LABELS,
    "committee_decision": COMMITTEE_DECISION_LABELS,
}

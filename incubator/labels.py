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

# Working groups (PRODUCT.md, Working group): models.GroupKind codes.
GROUP_KIND_LABELS = {
    "working_group": _l("Working group"),
    "workshop": _l("Cooperative workshop"),
}

# Attendance at a group's meeting: models.AttendanceStatus codes.
ATTENDANCE_LABELS = {
    "present": _l("Present"),
    "excused": _l("Excused"),
    "absent": _l("Absent"),
}

LABELS = {
    "role": ROLE_LABELS,
    "status": STATUS_LABELS,
    "kind": KIND_LABELS,
    "outcome": OUTCOME_LABELS,
    "mentorship_role": MENTORSHIP_ROLE_LABELS,
    "group_kind": GROUP_KIND_LABELS,
    "attendance": ATTENDANCE_LABELS,
}

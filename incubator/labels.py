"""Translated labels for the codes stored in the database (roles, statuses, kinds…)."""

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext

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

# Referrals (PRODUCT.md, Referral): models.ReferralDirection and ReferralOutcome codes.
REFERRAL_DIRECTION_LABELS = {
    "outgoing": _l("Referred to"),
    "incoming": _l("Referred by"),
}

REFERRAL_OUTCOME_LABELS = {
    "pending": _l("Pending"),
    "taken_up": _l("Taken up"),
    "declined": _l("Not taken up"),
    "unknown": _l("No news"),
}

# Supports (issue 11): models.SupportKind and SupportStatus codes.
SUPPORT_KIND_LABELS = {
    "grant": _l("Grant"),
    "loan": _l("Loan"),
    "honour_loan": _l("Honour loan"),
    "guarantee": _l("Guarantee"),
    "premises": _l("Premises"),
    "expertise": _l("Expertise"),
    "networking": _l("Networking"),
}

SUPPORT_STATUS_LABELS = {
    "envisaged": _l("Envisaged"),
    "requested": _l("Requested"),
    "granted": _l("Granted"),
    # "Refused" alone is the imports' column (« Refusées »); a support is « Refusé ».
    "refused": lazy_pgettext("status of a support", "Refused"),
    "paid": _l("Paid"),
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

# Partner kinds (PRODUCT.md, Partner): models.PartnerKind codes.
PARTNER_KIND_LABELS = {
    "commune": _l("Commune"),
    "intercommunalite": _l("Intercommunality"),
    "departement": _l("Department"),
    "region": _l("Region"),
    "state": _l("State"),
    "solidarity_funder": _l("Solidarity funder"),
    "bank": _l("Bank"),
    "ess_network": _l("ESS network"),
    "foundation": _l("Foundation"),
    "other": _l("Other"),
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
    "referral_direction": REFERRAL_DIRECTION_LABELS,
    "referral_outcome": REFERRAL_OUTCOME_LABELS,
    "support_kind": SUPPORT_KIND_LABELS,
    "support_status": SUPPORT_STATUS_LABELS,
    "group_kind": GROUP_KIND_LABELS,
    "attendance": ATTENDANCE_LABELS,
    "partner_kind": PARTNER_KIND_LABELS,
    "committee_decision": COMMITTEE_DECISION_LABELS,
}

# Kinds of accompaniment time (issue 12): models.AccompanimentKind codes, in their order.
ACCOMPANIMENT_KIND_LABELS = {
    "individual_meeting": _l("Individual meeting"),
    "collective_workshop": _l("Collective workshop"),
    "phone": _l("Phone"),
    "video": _l("Video call"),
    "on_site": _l("On site"),
}

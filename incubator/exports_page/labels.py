"""Labels of the codes the exports name that no other feature labels yet."""

from flask_babel import lazy_gettext as _l

# models.AccompanimentKind codes.
ACCOMPANIMENT_KIND_LABELS = {
    "individual_meeting": _l("Individual meeting"),
    "collective_workshop": _l("Collective workshop"),
    "phone": _l("Phone"),
    "video": _l("Video call"),
    "on_site": _l("On site"),
}

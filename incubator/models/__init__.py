"""Typed SQLAlchemy models, by area. Import from here."""

from .accounts import STAFF_ROLES, Role, User
from .credentials import LoginFailure, PasswordToken
from .followup import (
    Document,
    NextStep,
    NextStepChange,
    Note,
    NoteKind,
    NoteRevision,
    Notification,
    OutgoingMail,
    ProjectEvent,
    Visibility,
)
from .form_tokens import UsedFormToken
from .keys import column_key, derived_keys
from .network import (
    HEADCOUNT_BANDS,
    Organisation,
    OrganisationContact,
    OrganisationFamily,
    clean_siret,
)
from .pipeline import (
    AppendOnlyError,
    LegalForm,
    Project,
    ProjectHolder,
    ProjectKind,
    ProjectStatus,
    Stage,
    StageMove,
    StatusChange,
    Theme,
)
from .sessions import EndReason, UserSession
from .types import utcnow

__all__ = [
    "HEADCOUNT_BANDS",
    "Organisation",
    "OrganisationContact",
    "OrganisationFamily",
    "clean_siret",
    "Document",
    "NextStep",
    "NextStepChange",
    "Note",
    "NoteKind",
    "NoteRevision",
    "Notification",
    "OutgoingMail",
    "ProjectEvent",
    "Visibility",
    "STAFF_ROLES",
    "AppendOnlyError",
    "LegalForm",
    "LoginFailure",
    "PasswordToken",
    "Project",
    "ProjectHolder",
    "ProjectKind",
    "ProjectStatus",
    "Role",
    "Stage",
    "StageMove",
    "StatusChange",
    "Theme",
    "User",
    "UserSession",
    "UsedFormToken",
    "EndReason",
    "utcnow",
    "column_key",
    "derived_keys",
]

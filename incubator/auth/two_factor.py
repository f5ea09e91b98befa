"""Two-factor authentication: TOTP (RFC 6238) with pyotp, QR codes with segno, recovery codes.

Shapes and rules (docs/two-factor.md):

- A secret is 32 base32 characters (160 bits, RFC 4226's recommended length), 6-digit codes,
  30-second steps, SHA-1 (what every authenticator app reads from an ``otpauth://`` URI).
- A code is accepted for the current step or the one before or after it (``valid_window=1``
  in pyotp's terms: a phone's clock a little off still works), and only if its step is later
  than the last accepted one: one conditional UPDATE moves ``last_used_step`` forward, so a
  code seen over a shoulder, or sent twice at once, works once (RFC 6238 §5.2).
- Ten recovery codes, each usable once instead of a code: 10 characters from a 31-letter
  alphabet without look-alikes (about 50 bits), shown once, kept as salted SHA-256.
- Which roles must use it: ``required_roles()``, from the managers' « Sécurité » settings, or
  the configuration (``TWO_FACTOR_REQUIRED_ROLES``) until they save them.

The pending login (right password, code not yet given) lives in the signed Flask session of
that browser, for ``TWO_FACTOR_PENDING_MINUTES``: the person is not logged in before the code.
Services flush, never commit.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
import secrets
import time
from dataclasses import dataclass
from datetime import datetime

import pyotp
from flask import current_app, session
from flask_babel import gettext as _
from sqlalchemy import delete, func, or_, select, update

from ..extensions import db
from ..models import (
    RecoveryCode,
    Role,
    SecuritySettings,
    SecuritySettingsChange,
    TwoFactor,
    User,
    utcnow,
)
from ..outbox import queue_mail
from ..permissions import two_factor_required
from ..pole import current_pole
from ..security_log import record
from ..urls import absolute_url
from ..versions import StaleVersion, save_version

RECOVERY_CODES = 10
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i
RECOVERY_LENGTH = 10
STEP_SECONDS = 30
VALID_WINDOW = 1

# Keys of the Flask session (signed cookie) while a login waits for its code, and the mark of
# a session that must enrol before anything else.
PENDING_USER = "2fa_user"
PENDING_AT = "2fa_at"
PENDING_REMEMBER = "2fa_remember"
PENDING_NEXT = "2fa_next"
MUST_ENROL = "2fa_enrol"

ROLES_WITH_SETTING = (Role.MANAGER, Role.ADVISOR, Role.MENTOR)  # holders never must


class CodeRefused(ValueError):
    """The code is wrong, already used, or (for a recovery code) unknown or spent."""


def now() -> float:
    """Seconds since the epoch (a function: tests move the clock)."""
    return time.time()


# -- the rule: who must -----------------------------------------------------------------------

@dataclass(frozen=True)
class SecurityRule:
    managers: bool
    advisors: bool
    mentors: bool
    version: int | None = None  # None: nothing saved (the configuration speaks)
    updated_at: datetime | None = None
    updated_by_id: int | None = None

    @property
    def roles(self) -> frozenset[str]:
        chosen = ((Role.MANAGER, self.managers), (Role.ADVISOR, self.advisors),
                  (Role.MENTOR, self.mentors))
        return frozenset(role.value for role, on in chosen if on)


def security_rule() -> SecurityRule:
    """The rule in force: the saved settings, else the configuration's roles."""
    row = db.session.get(SecuritySettings, 1)
    if row is None:
        configured = set(current_app.config.get("TWO_FACTOR_REQUIRED_ROLES") or ())
        return SecurityRule(managers=Role.MANAGER in configured,
                            advisors=Role.ADVISOR in configured,
                            mentors=Role.MENTOR in configured)
    return SecurityRule(managers=row.two_factor_managers, advisors=row.two_factor_advisors,
                        mentors=row.two_factor_mentors, version=row.version,
                        updated_at=row.updated_at, updated_by_id=row.updated_by_id)


def required_roles() -> frozenset[str]:
    return security_rule().roles


def save_security_rule(by: User, seen_version: int, *, managers: bool, advisors: bool,
                       mentors: bool) -> bool:
    """Save the rule from the version the manager saw (0: none saved yet) and append its
    history row. Returns False when nothing changed (nothing written). Raises StaleVersion
    when someone saved since."""
    row = db.session.get(SecuritySettings, 1)
    values = {"two_factor_managers": managers, "two_factor_advisors": advisors,
              "two_factor_mentors": mentors}
    if (row.version if row else 0) != seen_version:
        raise StaleVersion()
    if row is not None and all(getattr(row, name) == value for name, value in values.items()):
        return False
    if row is None:
        from sqlalchemy.exc import IntegrityError

        try:
            with db.session.begin_nested():
                db.session.add(SecuritySettings(id=1, version=1, updated_at=utcnow(),
                                                updated_by_id=by.id, **values))
        except IntegrityError:  # another manager's first save, at the same instant
            raise StaleVersion() from None
        version = 1
    else:
        version = save_version(row, seen_version, updated_at=utcnow(), updated_by_id=by.id,
                               **values)
    db.session.add(SecuritySettingsChange(version=version, changed_by_id=by.id, **values))
    db.session.flush()
    record("security.settings_changed", managers=managers, advisors=advisors, mentors=mentors)
    return True


def security_history(limit: int = 20) -> list[SecuritySettingsChange]:
    """The latest saves of the rule, newest first (with who saved them)."""
    from sqlalchemy.orm import joinedload

    return list(db.session.scalars(
        select(SecuritySettingsChange).options(joinedload(SecuritySettingsChange.changed_by))
        .order_by(SecuritySettingsChange.id.desc()).limit(limit)))


# -- state of an account ----------------------------------------------------------------------

def factor_of(user: User) -> TwoFactor | None:
    return db.session.get(TwoFactor, user.id)


def is_enabled(user: User) -> bool:
    factor = factor_of(user)
    return factor is not None and factor.enabled


def must_use(user: User) -> bool:
    """Whether ``user``'s role requires two-factor authentication now."""
    return two_factor_required(user, required_roles())


def owes_enrolment(user: User) -> bool:
    """Whether ``user``'s role requires two-factor authentication and they have none: their
    session can reach nothing but the set-up (``auth.routes.enrol_first``)."""
    return not is_enabled(user) and must_use(user)


@dataclass(frozen=True)
class Status:
    """What the account page's section shows (``templates/account/_two_factor.html``)."""

    enabled: bool
    required: bool
    codes_left: int
    since: datetime | None


def status(user: User) -> Status:
    factor = factor_of(user)
    enabled = factor is not None and factor.enabled
    left = db.session.scalar(
        select(func.count()).select_from(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))) if enabled else 0
    return Status(enabled=enabled, required=must_use(user), codes_left=left or 0,
                  since=factor.confirmed_at if enabled else None)


def enabled_versions(user_ids: list[int]) -> dict[int, int]:
    """{user id: version of their second factor} for those of ``user_ids`` who use
    two-factor (the managers' user list, one query; the version goes in the reset form)."""
    if not user_ids:
        return {}
    rows = db.session.execute(
        select(TwoFactor.user_id, TwoFactor.version)
        .where(TwoFactor.user_id.in_(user_ids), TwoFactor.confirmed_at.is_not(None)))
    return {row.user_id: row.version for row in rows}


# -- enrolment --------------------------------------------------------------------------------

def start_enrolment(user: User) -> TwoFactor:
    """A new secret for ``user``, not in use until a first code confirms it. Raises
    ValueError when two-factor is already on (disable it first). Flushes."""
    factor = factor_of(user)
    if factor is not None and factor.enabled:
        raise ValueError("two-factor is already enabled")
    secret = pyotp.random_base32(length=32)
    if factor is None:
        factor = TwoFactor(user_id=user.id, secret=secret, version=1)
        db.session.add(factor)
    else:
        factor.secret = secret
        factor.created_at = utcnow()
        factor.last_used_step = None
        factor.version += 1
    db.session.flush()
    return factor


def _totp(secret: str) -> pyotp.TOTP:
    return pyotp.TOTP(secret, digits=6, interval=STEP_SECONDS)


def provisioning_uri(user: User, secret: str) -> str:
    """The ``otpauth://totp/…`` URI: the issuer is the pole's short name, the account the
    person's e-mail address."""
    return _totp(secret).provisioning_uri(name=user.email, issuer_name=current_pole().short_name)


def qr_data_uri(uri: str) -> str:
    """The QR code of ``uri`` as an SVG ``data:`` URI (the CSP allows ``img-src data:``),
    drawn here by segno: the secret never leaves the server for a QR service."""
    import segno  # here: ~1 MiB (with xml.sax) that only enrolment needs

    return segno.make(uri, error="m").svg_data_uri(scale=5, border=2, dark="#000",
                                                   light="#fff")


def grouped(secret: str) -> str:
    """The secret in groups of four for reading aloud or typing ("ABCD EFGH …")."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def _matching_step(secret: str, code: str, at: float) -> int | None:
    """The time step whose code is ``code``, within ``VALID_WINDOW`` of ``at``, else None.
    Every candidate is compared in constant time."""
    totp = _totp(secret)
    current = math.floor(at / STEP_SECONDS)
    found = None
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            found = step
    return found


def clean_code(text: str | None) -> str:
    """What the person typed, without spaces, hyphens and case ("123 456" → "123456")."""
    return "".join(ch for ch in (text or "").lower() if ch not in " -\u00a0\u202f\t")


_SIX_DIGITS = re.compile(r"[0-9]{6}")


def is_totp_shape(code: str) -> bool:
    return _SIX_DIGITS.fullmatch(code) is not None


def use_totp(user: User, code: str) -> None:
    """Accept ``code`` for ``user``'s secret (confirmed or being confirmed), once: the
    conditional UPDATE of ``last_used_step`` is what accepts it. Raises CodeRefused."""
    factor = factor_of(user)
    if factor is None or not is_totp_shape(code):
        raise CodeRefused()
    step = _matching_step(factor.secret, code, now())
    if step is None:
        raise CodeRefused()
    moved = db.session.execute(
        update(TwoFactor)
        .where(TwoFactor.user_id == user.id, TwoFactor.secret == factor.secret,
               or_(TwoFactor.last_used_step.is_(None), TwoFactor.last_used_step < step))
        .values(last_used_step=step)
        .execution_options(synchronize_session=False))
    if moved.rowcount != 1:
        raise CodeRefused()
    db.session.expire(factor)


def confirm_enrolment(user: User, code: str) -> list[str]:
    """Turn two-factor on with the first code from the app; returns the ten recovery codes
    (the only time they exist in clear). Raises CodeRefused. Flushes."""
    factor = factor_of(user)
    if factor is None or factor.enabled:
        raise CodeRefused()
    use_totp(user, code)
    db.session.refresh(factor)
    factor.confirmed_at = utcnow()
    factor.version += 1
    codes = new_recovery_codes(user)
    record("two_factor.enrolled", target_id=user.id)
    return codes


# -- recovery codes ---------------------------------------------------------------------------

def _hash_code(code: str, salt: bytes | None = None) -> str:
    salt = salt if salt is not None else secrets.token_bytes(16)
    return salt.hex() + "$" + hashlib.sha256(salt + code.encode()).hexdigest()


def _code_matches(stored: str, code: str) -> bool:
    salt_hex, _, _digest = stored.partition("$")
    try:
        salt = bytes.fromhex(salt_hex)
    except ValueError:
        return False
    return hmac.compare_digest(_hash_code(code, salt), stored)


def new_recovery_codes(user: User) -> list[str]:
    """Ten new recovery codes for ``user`` (the old ones die), as shown: "xxxxx-xxxxx"."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id)
                       .execution_options(synchronize_session=False))
    codes = ["".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))
             for _ in range(RECOVERY_CODES)]
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=_hash_code(code))
                       for code in codes)
    db.session.flush()
    return [f"{code[:5]}-{code[5:]}" for code in codes]


def use_recovery_code(user: User, code: str) -> int:
    """Spend one of ``user``'s recovery codes (one conditional UPDATE: two requests with the
    same code cannot both pass); returns how many are left. Raises CodeRefused."""
    if len(code) != RECOVERY_LENGTH or not is_enabled(user):
        raise CodeRefused()
    rows = db.session.execute(
        select(RecoveryCode.id, RecoveryCode.code_hash)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))).all()
    found = None
    for row in rows:  # ten at most; each compared, whatever matched
        if _code_matches(row.code_hash, code):
            found = row.id
    if found is None:
        raise CodeRefused()
    spent = db.session.execute(
        update(RecoveryCode).where(RecoveryCode.id == found, RecoveryCode.used_at.is_(None))
        .values(used_at=utcnow()).execution_options(synchronize_session=False))
    if spent.rowcount != 1:
        raise CodeRefused()
    left = len(rows) - 1
    record("two_factor.recovery_code_used", target_id=user.id, codes_left=left)
    return left


def check_second_factor(user: User, typed: str) -> str:
    """Accept a code from the app or a recovery code; returns which ("totp" or
    "recovery_code"). Raises CodeRefused (and logs ``two_factor.code_refused``)."""
    code = clean_code(typed)
    try:
        if is_totp_shape(code):
            use_totp(user, code)
            return "totp"
        use_recovery_code(user, code)
        return "recovery_code"
    except CodeRefused:
        record("two_factor.code_refused", target_id=user.id,
               kind="totp" if is_totp_shape(code) else "recovery_code")
        raise


# -- turning it off ---------------------------------------------------------------------------

def _remove(user: User) -> None:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id)
                       .execution_options(synchronize_session=False))
    db.session.execute(delete(TwoFactor).where(TwoFactor.user_id == user.id)
                       .execution_options(synchronize_session=False))
    db.session.expire_all()


def disable(user: User) -> None:
    """Turn ``user``'s two-factor off (the route checked the password and a code). Flushes."""
    _remove(user)
    record("two_factor.disabled", target_id=user.id)


def reset_by_manager(manager: User, user: User, seen_version: int) -> None:
    """A manager removes ``user``'s second factor (a lost phone and no recovery code left),
    from the version their page showed; ``user`` is told by e-mail and must enrol again
    at their next login if their role requires it. Raises StaleVersion when the factor
    changed (or went) since. Flushes."""
    factor = factor_of(user)
    if factor is None or not factor.enabled or factor.version != seen_version:
        raise StaleVersion()
    gone = db.session.execute(
        delete(TwoFactor).where(TwoFactor.user_id == user.id, TwoFactor.version == seen_version)
        .execution_options(synchronize_session=False))
    if gone.rowcount != 1:
        raise StaleVersion()
    _remove(user)
    record("two_factor.reset", target_id=user.id, by_id=manager.id)
    _tell_reset(user, manager)


def _tell_reset(user: User, manager: User) -> None:
    from .services import in_their_language

    with in_their_language(user):
        subject = _("Your two-factor authentication was reset")
        body = _(
            "Hello %(name)s,\n\n%(manager)s reset the two-factor authentication of your "
            "Incubateur account: codes from your authenticator app no longer work, nor do your "
            "recovery codes.\n\nAt your next login you will log in with your password, then "
            "set up two-factor authentication again if your role requires it:\n%(link)s\n\n"
            "If you did not ask for this, tell the pole at once.\n",
            name=user.name, manager=manager.name, link=absolute_url("auth.login"))
    queue_mail(user.email, subject, body)


# -- the login's pending state ----------------------------------------------------------------

def begin_pending_login(user: User, *, remember: bool, next_url: str | None) -> None:
    """Right password, two-factor on: remember (in this browser's signed session only) whom
    the code step is for, until ``TWO_FACTOR_PENDING_MINUTES``."""
    forget_pending_login()
    session[PENDING_USER] = user.id
    session[PENDING_AT] = math.floor(now())
    session[PENDING_REMEMBER] = bool(remember)
    if next_url:
        session[PENDING_NEXT] = next_url


def pending_login() -> tuple[User, bool, str | None] | None:
    """(user, remember, next) of this browser's pending login, or None when there is none,
    it expired, or the account can no longer log in (then it is forgotten)."""
    user_id, started = session.get(PENDING_USER), session.get(PENDING_AT)
    if not isinstance(user_id, int) or not isinstance(started, int):
        return None
    minutes = current_app.config.get("TWO_FACTOR_PENDING_MINUTES", 5)
    user = db.session.get(User, user_id)
    if (now() - started > minutes * 60 or user is None or not user.active
            or not is_enabled(user)):
        forget_pending_login()
        return None
    return user, bool(session.get(PENDING_REMEMBER)), session.get(PENDING_NEXT)


def forget_pending_login() -> None:
    for key in (PENDING_USER, PENDING_AT, PENDING_REMEMBER, PENDING_NEXT):
        session.pop(key, None)

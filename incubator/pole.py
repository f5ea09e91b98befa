"""The pole's identity, wherever it is shown or used: ``current_pole()``.

Name, short name, territory, contact e-mail, postal address, time zone and whether there is
a logo come from the row a manager saved on /admin/pole (``PoleSettings``), or from the
configuration (``INCUBATOR_POLE_NAME``…, ``INCUBATOR_TIMEZONE``) while no one has saved
it: a fresh install works unchanged. Read once per request (kept in ``g``): the layout, the
e-mails' footer, the dates' time zone and the printed report ask the same object.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pytz
from flask import current_app, g
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from .extensions import db
from .models import PoleSettings


@dataclass(frozen=True)
class Pole:
    name: str
    short_name: str
    territory: str
    contact_email: str
    postal_address: str
    time_zone: str
    logo_sha256: str | None = None  # None: no logo; else it names the image (cache busting)
    version: int | None = None  # None: nothing saved yet (the configuration speaks)
    updated_at: datetime | None = None
    updated_by_id: int | None = None

    @property
    def has_logo(self) -> bool:
        return self.logo_sha256 is not None

    @property
    def address_lines(self) -> list[str]:
        return [line.strip() for line in self.postal_address.splitlines() if line.strip()]


def configured_pole() -> Pole:
    """The pole as the configuration describes it (before any manager's save)."""
    config = current_app.config
    return Pole(
        name=config["POLE_NAME"], short_name=config["POLE_SHORT_NAME"],
        territory=config.get("POLE_TERRITORY") or "",
        contact_email=config.get("POLE_CONTACT_EMAIL") or "",
        postal_address=config.get("POLE_POSTAL_ADDRESS") or "",
        time_zone=config["BABEL_DEFAULT_TIMEZONE"],
    )


# Built once: every page's layout reads it (see auth/sessions.py's _SESSION_WITH_USER).
_SETTINGS = select(
    PoleSettings.version, PoleSettings.name, PoleSettings.short_name, PoleSettings.territory,
    PoleSettings.contact_email, PoleSettings.postal_address, PoleSettings.time_zone,
    PoleSettings.logo_sha256, PoleSettings.updated_at, PoleSettings.updated_by_id,
).where(PoleSettings.id == 1)


def _read() -> Pole:
    if g.get("database_unavailable"):  # errors.py: the 503 answer reads no database
        return configured_pole()
    try:
        row = db.session.execute(_SETTINGS).one_or_none()
    except SQLAlchemyError:
        # An error page after a failed transaction still shows a layout: the configuration's.
        current_app.logger.warning("The pole's settings could not be read: configuration used")
        return configured_pole()
    if row is None:
        return configured_pole()
    return Pole(name=row.name, short_name=row.short_name, territory=row.territory,
                contact_email=row.contact_email, postal_address=row.postal_address,
                time_zone=row.time_zone, logo_sha256=row.logo_sha256, version=row.version,
                updated_at=row.updated_at, updated_by_id=row.updated_by_id)


def current_pole() -> Pole:
    """The pole's identity in force, read once per request (or app context)."""
    pole = g.get("pole")
    if pole is None:
        pole = g.pole = _read()
    return pole


def current_logo() -> tuple[bytes, str] | None:
    """The logo's PNG bytes and SHA-256, or None when the pole has none."""
    row = db.session.execute(select(PoleSettings.logo, PoleSettings.logo_sha256)
                             .where(PoleSettings.id == 1)).one_or_none()
    if row is None or row.logo is None or row.logo_sha256 is None:
        return None
    return row.logo, row.logo_sha256


def forget_current_pole() -> None:
    """After a save: the rest of the request reads the new settings, time zone included
    (Flask-Babel keeps the zone it read in ``g`` too)."""
    g.pop("pole", None)
    babel_cache = g.get("_flask_babel")
    if babel_cache is not None and hasattr(babel_cache, "babel_tzinfo"):
        del babel_cache.babel_tzinfo


def pole_time_zone() -> str:
    """Flask-Babel's time zone selector: dates, ``pole_today`` and times in the pole's zone.
    A saved zone the installed zone data no longer knows (a zone renamed by a tzdata
    update) gives way to the configured one rather than breaking every page."""
    zone = current_pole().time_zone
    if zone in pytz.all_timezones_set:
        return zone
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]


def mail_footer() -> str:
    """The lines that close every e-mail: the pole's name, postal address and contact
    address (plain text, no words to translate), after the usual "-- " separator."""
    pole = current_pole()
    lines = [pole.name, *pole.address_lines]
    if pole.contact_email:
        lines.append(pole.contact_email)
    return "\n-- \n" + "\n".join(lines) + "\n"

"""Writes for the pole's identity (/admin/pole): check a logo, save the settings.

The logo goes through the documents' checks (``documents.services.read_upload``: size
limit, type read from the content, never from the name or the declared type; SVG and any
markup refused), must be a PNG, JPEG or WebP image, and is then decoded and drawn again by
Pillow into a PNG at most ``POLE_LOGO_PIXELS`` wide and high: what is stored and served is
an image we wrote, without the sender's metadata (EXIF, GPS) or anything hidden after the
pixels.

A save is version-checked (``versions.save_version``; the first save inserts the single
row, and two first saves at once cannot both win) and appends a ``PoleSettingsVersion``
row: who, when, what changed.
"""

from __future__ import annotations

import hashlib
import io
import warnings

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import FileStorage

from .. import stage_flow
from ..documents import filetypes
from ..documents.services import UploadRefused, human_size, read_upload
from ..extensions import db
from ..models import PoleSettings, PoleSettingsVersion, User, utcnow
from ..pole import Pole, current_pole, forget_current_pole
from ..versions import StaleVersion, save_version

LOGO_TYPES = (filetypes.PNG, filetypes.JPEG, filetypes.WEBP)
_PILLOW_FORMATS = {"PNG", "JPEG", "WEBP"}
# Decoding a 10,000 × 10,000 image takes 400 MB: no logo needs more than this many pixels.
MAX_SOURCE_PIXELS = 25_000_000
FIELDS = ("name", "short_name", "territory", "contact_email", "postal_address", "time_zone")


def logo_types_message() -> str:
    return _("The logo must be a PNG, JPEG or WebP image (SVG is not accepted). Export it "
             "in one of these formats, then send it again.")


def logo_max_bytes() -> int:
    return current_app.config["POLE_LOGO_MAX_BYTES"]


def logo_hint() -> str:
    return _("PNG, JPEG or WebP, at most %(limit)s; it is resized to %(pixels)s pixels at "
             "most.", limit=human_size(logo_max_bytes()),
             pixels=current_app.config["POLE_LOGO_PIXELS"])


def read_logo(storage: FileStorage) -> bytes:
    """The uploaded logo, checked and redrawn as a PNG. Raises UploadRefused (413 over the
    limit, 422 otherwise) with a message for the user."""
    head = storage.stream.read(64)
    storage.stream.seek(0)
    if head and filetypes.detect(head) not in LOGO_TYPES:
        raise UploadRefused(422, logo_types_message())
    upload = read_upload(storage, logo_max_bytes())
    if filetypes.detect(upload.data) not in LOGO_TYPES:
        raise UploadRefused(422, logo_types_message())
    return _redrawn(upload.data)


def _redrawn(data: bytes) -> bytes:
    # Pillow only when a logo is uploaded: a few MiB less in every worker (docs/performance.md).
    from PIL import Image, ImageOps, UnidentifiedImageError

    damaged = UploadRefused(422, _("This image could not be read: it may be damaged. Save it "
                                   "again from an image editor, or choose another file."))
    pixels = current_app.config["POLE_LOGO_PIXELS"]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=sorted(_PILLOW_FORMATS)) as image:
                width, height = image.size
                if width * height > MAX_SOURCE_PIXELS:
                    raise UploadRefused(422, _(
                        "This image is far too large (%(width)s × %(height)s pixels). Resize "
                        "it below 5,000 × 5,000 pixels, then send it again.",
                        width=width, height=height))
                image.load()
                image = ImageOps.exif_transpose(image)
                image.thumbnail((pixels, pixels), Image.Resampling.LANCZOS)
                mode = "RGBA" if image.mode in ("RGBA", "LA", "P", "PA") else "RGB"
                out = io.BytesIO()
                image.convert(mode).save(out, format="PNG", optimize=True)
    except UploadRefused:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError,
            Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise damaged from None
    return out.getvalue()


def _changed(before: Pole, values: dict, logo_changed: bool) -> list[str]:
    changed = [name for name in FIELDS if getattr(before, name) != values[name]]
    return changed + (["logo"] if logo_changed else [])


def save_pole(by: User, seen_version: int | None, values: dict, *, logo: bytes | None = None,
              remove_logo: bool = False) -> list[str]:
    """Save the settings from the version the manager saw (0: none saved yet), with a new
    logo (already checked: ``read_logo``) or without any. Returns the names of what changed
    (empty: nothing to save, nothing written). Raises StaleVersion when someone saved since."""
    row = db.session.get(PoleSettings, 1)
    before = current_pole()
    if (row.version if row else 0) != seen_version:
        raise StaleVersion()
    written = dict(values)
    logo_changed = False
    if logo is not None:
        digest = hashlib.sha256(logo).hexdigest()
        logo_changed = digest != before.logo_sha256
        written.update(logo=logo, logo_content_type=filetypes.PNG.content_type,
                       logo_sha256=digest)
    elif remove_logo and before.has_logo:
        logo_changed = True
        written.update(logo=None, logo_content_type=None, logo_sha256=None)
    changed = _changed(before, values, logo_changed)
    if row is not None and not changed:
        return []
    written.update(updated_at=utcnow(), updated_by_id=by.id)
    if row is None:
        try:
            with db.session.begin_nested():
                row = PoleSettings(id=1, version=1, **written)
                db.session.add(row)
        except IntegrityError:  # another manager's first save, at the same instant
            raise StaleVersion() from None
        version = 1
    else:
        version = save_version(row, seen_version, **written)
    db.session.add(PoleSettingsVersion(
        version=version, changed_fields=",".join(changed), changed_by_id=by.id,
        logo_sha256=written.get("logo_sha256", before.logo_sha256),
        **{name: values[name] for name in FIELDS}))
    db.session.flush()
    forget_current_pole()
    if "time_zone" in changed:  # the flow's summary counts by day in the pole's time zone
        stage_flow.rebuild()  # forget_current_pole() made Flask-Babel read the new zone
    return changed

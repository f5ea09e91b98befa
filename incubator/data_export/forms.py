"""Forms of the privacy pages."""

from __future__ import annotations

from ..forms import Form


class ExportForm(Form):
    """Download a data export: a POST with CSRF and nothing else (a link could be followed
    by a prefetching browser or a crafted page; a download of personal data is an act)."""

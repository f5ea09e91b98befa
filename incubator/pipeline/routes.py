"""The pipeline review (/pipeline): filters in the URL (a plain GET form, htmx swapping the
figures' region), every figure a table with its definition, each table exported as CSV or
XLSX with the same filters (``?table=KEY&format=csv|xlsx``). Staff only
(``can_review_pipeline``)."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import abort, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..errors import fail
from ..exports import FORMATS, table_response
from ..htmx import is_htmx, page_or_fragment
from ..i18n import pole_today
from ..permissions import can_review_pipeline
from . import bp, queries
from .queries import FilterError, ReviewFilters


@bp.get("/pipeline")
@login_required
def index():
    if not can_review_pipeline(current_user):
        abort(403)
    now = datetime.now(UTC)
    today = pole_today(now)
    try:
        filters = ReviewFilters.from_args(request.args, today)
        queries.check_filters(filters)
    except FilterError as error:
        fail(400, str(error))
    wanted, fmt = request.args.get("table"), request.args.get("format")
    if wanted is not None or fmt is not None:
        if fmt not in FORMATS or wanted not in queries.TABLE_KEYS:
            fail(400, _("This export does not exist: choose a table's CSV or XLSX link."))
    review = queries.review(filters, now, today, only=wanted)
    if wanted is not None:
        table = review.table(wanted)
        # Named in the reader's language only (the page's and the table's titles), the
        # period in ISO days.
        period = f"{filters.period.start.isoformat()}_{filters.period.end.isoformat()}"
        return table_response(table, fmt, f"{_('Pipeline review')} - {table.title} {period}",
                              what=f"pipeline.{wanted}")
    url = url_for("pipeline.index", **filters.args())
    context = {"review": review, "filters": filters, "review_url": url,
               "preset_urls": {p: url_for("pipeline.index", **filters.with_preset(p))
                               for p in queries.PRESETS}}
    if not is_htmx():
        context.update(queries.filter_choices())
    response = page_or_fragment("pipeline/index.html", "pipeline/_figures.html", **context)
    if is_htmx():
        response.headers["HX-Push-Url"] = url  # without the form's empty fields
    return response

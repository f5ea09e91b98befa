"""The board's answers to a change of a card (move, close, pause): built here so that the
routes read "parse, check, call the service, commit, answer".

For htmx, the card the user holds is removed (``HX-Reswap: delete``) and the server's version
is placed out of band where the page shows it (or nowhere when filtered out or not loaded
yet), with the changed columns' headers, the page's board token, the screen-reader
announcement and, for a refusal, the message saying why. A plain request gets a 303 (or the
move form again, after a refusal).
"""

from __future__ import annotations

from flask import (
    Response,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from ..dom import dom_id
from ..htmx import PROJECT_CHANGED, focus_on, hx_trigger, is_htmx, vary_on_htmx
from ..models import Project, ProjectStatus, Stage
from ..params import MAX_BIGINT, parse_int
from ..reference import active_stages_for_cards
from ..urls import safe_next
from . import queries
from .queries import BoardFilters, column_stats


def board_url(filters: BoardFilters) -> str:
    return url_for("board.index", **filters.as_args())


def placement(project: Project, filters: BoardFilters) -> str | None:
    """Where the card goes in the page that asked: an htmx out-of-band swap spec, or None
    when the page does not show it (filtered out, not on the board, or not loaded yet)."""
    if project.status != ProjectStatus.ACTIVE or project.stage_id is None:
        return None
    if not queries.matches(current_user, filters, project):
        return None
    loaded = request.values.get(f"last-{project.stage_id}", "all")
    last = None if loaded == "all" else parse_int(loaded, -MAX_BIGINT, MAX_BIGINT)
    if loaded != "all":
        if last is None or project.position > last:
            return None  # below what the page has loaded: "load more" will bring it
    following = queries.next_card_after(current_user, filters, project)
    if following is not None and (last is None or following.position <= last):
        return f"beforebegin:#{dom_id(Project, id=following.id)}"
    return f"beforeend:#{dom_id(Stage, 'cards', id=project.stage_id)}"


def placed(project: Project, filters: BoardFilters, *, status: int, message: str | None = None,
           announce: str | None = None, stage_ids: list[int] | None = None,
           token: str | None = None, stages: list[Stage] | None = None) -> Response:
    """htmx answer that removes the card where the user has it and puts the server's version
    in its true place, with refreshed column headers, a message and an announcement.
    ``stages``: the active stages, when the request has them loaded already from
    ``active_stages_for_cards()`` (its stalled thresholds then read too); else read here."""
    stage_ids = [sid for sid in (stage_ids or [project.stage_id]) if sid]
    stats = column_stats(current_user, filters, stage_ids) if stage_ids else {}
    if stages is None:
        stages = active_stages_for_cards()
    stages = {s.id: s for s in stages if s.id in stats}
    headers = [(stages[sid], stats[sid]) for sid in stage_ids if sid in stages]
    place = placement(project, filters)
    # The focus stays on the card, the confirmation beside it. When the card left the page
    # (closed, paused, filtered out, moved below what its column has loaded), board.js gives
    # the focus to the card next to it in its column (else the one above, else the board's
    # tab stop) and shows the confirmation there: the server does not know which cards the
    # page has loaded, and the keyboard user stays where they work.
    focus = dom_id(project) if place else "board"
    response = make_response(render_template(
        "board/_placed.html", project=project, place=place, focus=focus,
        headers=headers, message=message, announce=announce, token=token,
        stalled_days=current_app.config["STALLED_DAYS"], filters=filters,
        **queries.card_marks([project.id] if place else []),
    ), status)
    response.headers["HX-Reswap"] = "delete"
    hx_trigger(response, "board:focus", {"id": dom_id(project)})
    if place:
        focus_on(response, focus)
    if status < 400:
        hx_trigger(response, PROJECT_CHANGED)
    return vary_on_htmx(response)


def changed(project: Project, message: str, filters: BoardFilters, stage_ids: list[int],
            token: str | None, *, stages: list[Stage] | None = None) -> Response:
    """A change that worked: the card placed (htmx), or the message and a 303 back.
    ``stages``: as ``placed`` takes them."""
    if is_htmx():
        return placed(project, filters, status=200, announce=message, stage_ids=stage_ids,
                      token=token, stages=stages)
    flash(message, "success")
    return vary_on_htmx(redirect(safe_next(request.form.get("next")) or board_url(filters),
                                 code=303))


REFUSALS = {
    409: lambda: _("Someone changed this project in the meantime: it is shown as it is now. "
                   "Check it, then try again."),
    422: lambda: _("This stage does not exist or is no longer in use."),
}


def refusal_message(status: int) -> str:
    return REFUSALS.get(status, REFUSALS[409])()

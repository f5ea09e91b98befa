"""The board: columns by stage, filters, lazy "load more", moves, closing, live refresh.

Every route serves a full page to a plain request and a fragment (with out-of-band parts) to
htmx; the same POST routes take the no-JavaScript forms.
"""

from __future__ import annotations

from flask import (
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from markupsafe import Markup

from ..confirm import ask_first, confirmed
from ..database import commit_keeping_loaded
from ..dom import dom_id
from ..extensions import db
from ..forms import page_error
from ..htmx import focus_on, is_htmx, page_or_fragment, render, vary_on_htmx
from ..i18n import localized
from ..models import Project, ProjectStatus, ReferralDirection, Stage
from ..notifications.queries import unread_count
from ..params import MAX_BIGINT, parse_int, query_int
from ..permissions import staff_required
from ..reference import active_stages, active_stages_for_cards, is_stalled
from ..referrals import queries as referral_queries
from ..referrals import services as referral_services
from ..referrals.services import ReferralError
from ..urls import safe_next
from . import answers, bp, pages, queries
from .answers import board_url
from .cards import card_html
from .forms import CloseForm, MoveForm, PauseForm, ReopenForm
from .queries import (
    BoardFilters,
    board_columns,
    board_token,
    column_stats,
    parse_token,
    stage_layout,
)
from .services import (
    BoardError,
    CommentRequired,
    UntickedCriteria,
    close_project,
    move_project,
    pause_project,
    reopen_project,
)
from .tokens import shift_token

# The cards' stalled mark: the stage's threshold or the default, the rule the pipeline
# review's worklist applies (reference.is_stalled).
bp.add_app_template_global(is_stalled, "project_stalled")
# Cards rendered once per distinct content (board/cards.py).
bp.add_app_template_global(card_html, "card_html")
# The mentor filter's options, rendered once per kept list (board/pages.py).
bp.add_app_template_global(pages.choice_options, "choice_options")


def _filters() -> BoardFilters:
    return BoardFilters.from_args(request.values)


def _context(filters: BoardFilters, columns) -> dict:
    return {
        "columns": columns,
        "filters": filters,
        "token": board_token({c.stage.id: c.stats for c in columns}),
        "layout": stage_layout([c.stage for c in columns]),
        "total": sum(c.stats.total for c in columns),
        "shown": sum(c.stats.shown for c in columns),
        "stalled_days": current_app.config["STALLED_DAYS"],
        "poll_seconds": current_app.config["BOARD_POLL_SECONDS"],
        "board_url": board_url(filters),
        **queries.card_marks([p.id for c in columns for p in c.cards]),
    }


def _show_all() -> bool:
    return request.args.get("show") == "all"


def _per_column() -> int:
    """Cards per column on a board page or a column the poll refreshes: its first ones, or
    with "Show every card" (``show=all``, kept by the page in a ``.board-state`` input) up
    to BOARD_ALL_CARDS."""
    return current_app.config["BOARD_ALL_CARDS" if _show_all() else "BOARD_COLUMN_CARDS"]


@bp.get("/board")
@staff_required
def index():
    """The board: each column's first cards, or with ``show=all`` up to BOARD_ALL_CARDS
    cards per column (every card on screen in one request; beyond, the "load more").

    The columns part (the page's content, or the htmx fragment) comes from board/pages.py's
    cache while the board's revision, the day, the language and the address are unchanged;
    an ``If-None-Match`` naming the answer's ETag gets a 304 without rendering."""
    filters = _filters()
    show_all = _show_all()
    htmx = is_htmx()
    key = pages.part_key("htmx" if htmx else "page", filters)  # the revision, read first
    part = pages.cached(key, lambda: _board_part(filters, show_all, htmx,
                                                 pages.key_choices(key)))
    # The header's bell, counted once for the ETag and the page.
    bell = None if htmx else {"count": unread_count(current_user),
                              "poll_seconds": current_app.config["NOTIFICATION_POLL_SECONDS"]}
    tag = pages.etag(key, part, unread=bell["count"] if bell else None)
    if pages.not_modified(tag):
        response = make_response("", 304)
    elif htmx:
        response = make_response(part.html)
    else:
        response = make_response(render_template("board/index.html", board_content=part.html,
                                                 bell=bell))
    if htmx:
        # Without empty parameters; a reload keeps every card.
        response.headers["HX-Push-Url"] = (
            url_for("board.index", show="all", **filters.as_args()) if show_all
            else board_url(filters))
        if show_all:  # the link is gone: the keyboard goes to the board's first card
            response = focus_on(response, part.first_card or "board")
    if tag is not None:
        response.set_etag(tag, weak=True)
        # Kept by the browser, asked again each time (security.py's no-store otherwise).
        response.headers["Cache-Control"] = "private, no-cache"
    return vary_on_htmx(response)


def _board_part(filters: BoardFilters, show_all: bool, htmx: bool,
                choices: int) -> tuple[Markup, float, str | None]:
    """Render the board's part (pages.cached): the fragment for htmx, the page's content
    block otherwise (its filter lists kept under the ``choices`` revision the part's key
    was read with); with the instant it goes stale and its first card's id."""
    columns = board_columns(current_user, filters, _per_column())
    context = _context(filters, columns)
    context["show_all"] = show_all
    context["show_all_url"] = url_for("board.index", show="all", **filters.as_args())
    expires = pages.expires_at(columns)
    if htmx:
        html = pages.render_part("board/_board.html", **context)
    else:
        context["choices"] = queries.filter_choices(choices)
        html = pages.render_part("board/_page_body.html", **context)
        # The filter lists are kept at most their own seconds: the page is not kept longer.
        expires = min(expires, queries.filter_choices_until())
    first = next((p for c in columns for p in c.cards), None)
    return html, expires, dom_id(first) if first else None


@bp.get("/board/stages/<int:stage_id>")
@staff_required
def column(stage_id: int):
    """More cards of a column: appended by htmx, or a full page without JavaScript."""
    stage = db.session.get(Stage, stage_id)
    if stage is None or not stage.active:
        abort(404)
    filters = _filters()
    after = query_int("after", minimum=-MAX_BIGINT, maximum=MAX_BIGINT)
    limit = current_app.config["BOARD_MORE_CARDS"]
    cards, has_more = queries.more_cards(current_user, filters, stage.id, after, limit)
    context = {
        "stage": stage, "cards": cards, "has_more": has_more, "filters": filters,
        "last_position": cards[-1].position if cards else after,
        "stalled_days": current_app.config["STALLED_DAYS"], "board_url": board_url(filters),
        **queries.card_marks([p.id for p in cards]),
    }
    return page_or_fragment("board/column.html", "board/_more.html", **context)


@bp.get("/board/changes")
@staff_required
def changes():
    """The poll: 204 when no column changed since the page's token, else the changed
    columns (out of band) and the new token."""
    filters = _filters()
    held = parse_token(request.args.get("token", ""))
    stages = active_stages()
    stage_ids = [s.id for s in stages]
    layout = request.args.get("layout")
    if set(held) != set(stage_ids) or (layout is not None and layout != stage_layout(stages)):
        response = make_response("", 204)
        # Stages were added, retired, reordered, renamed or their limits changed.
        response.headers["HX-Refresh"] = "true"
        return response
    stats = column_stats(current_user, filters, stage_ids)
    changed = [sid for sid in stage_ids if stats[sid].fingerprint != held[sid]]
    if not changed:
        return make_response("", 204)
    columns = board_columns(current_user, filters, _per_column(), only=changed)
    context = _context(filters, columns)
    context["token"] = board_token(stats)
    context["total"] = sum(s.total for s in stats.values())
    context["shown"] = sum(s.shown for s in stats.values())
    return render_template("board/_changes.html", **context)


def _project_or_404(project_id: int) -> Project:
    project = queries.card(project_id)
    if project is None:
        abort(404)
    return project


def _move_form(project: Project) -> MoveForm:
    form = MoveForm()
    # With the retired ones and their stalled thresholds: the answer's card reads them too.
    form.set_stages(active_stages_for_cards())
    if not form.is_submitted():
        form.stage_id.data = project.stage_id
        form.version.data = project.version
        form.next.data = safe_next(request.args.get("next")) or ""
    return form


def _render_move_form(project: Project, form: MoveForm, status: int = 200, *,
                      close_form: CloseForm | None = None, pause_form: PauseForm | None = None):
    """The move control of a card (in the card for htmx, as a page otherwise), with the
    close and pause forms; a failing one of those comes back with its errors, opened."""
    context = {"project": project, "form": form, "filters": _filters(),
               "close_form": close_form or CloseForm(formdata=None),
               "pause_form": pause_form or PauseForm(formdata=None),
               "open_status": bool(close_form or pause_form),
               "stalled_days": current_app.config["STALLED_DAYS"]}
    forms = (form, context["close_form"], context["pause_form"])
    for other in forms:
        if other.version.data is None or other.version.errors:  # absent, or not a number
            other.version.data = project.version
        other.next.data = other.next.data or form.next.data
    # A field the page fills (version, after_id) was refused: say so, the fields cannot.
    context["page_error"] = next(filter(None, map(page_error, forms)), None)
    return page_or_fragment("board/move.html", "board/_move_form.html", status, **context)


@bp.get("/projects/<int:project_id>/move")
@staff_required
def move_form(project_id: int):
    project = _project_or_404(project_id)
    if project.status != ProjectStatus.ACTIVE:
        abort(404)
    return _render_move_form(project, _move_form(project))


@bp.get("/projects/<int:project_id>/card")
@staff_required
def card(project_id: int):
    """The card as the server has it, put back in its true place (closing a move form)."""
    project = _project_or_404(project_id)
    if not is_htmx():
        return redirect(board_url(_filters()), code=303)
    return answers.placed(project, _filters(), status=200)


def _refused(project_id: int, error: BoardError, filters: BoardFilters):
    """The change was refused: say why, and show the card as it really is."""
    db.session.rollback()
    message = answers.refusal_message(error.status)
    project = _project_or_404(project_id)
    if is_htmx():
        return answers.placed(project, filters, status=error.status, message=message,
                              stage_ids=[project.stage_id])
    flash(message, "error")
    if project.status == ProjectStatus.ACTIVE:
        return _render_move_form(project, _move_form(project), error.status)
    return redirect(url_for("projects.show", project_id=project.id), code=303)


def _moved_message(project: Project, stage_changed: bool) -> str:
    stage = db.session.get(Stage, project.stage_id)
    if stage_changed:
        return _("“%(title)s” moved to %(stage)s.", title=project.title, stage=localized(stage))
    return _("“%(title)s” moved within %(stage)s.", title=project.title, stage=localized(stage))


# Fields of a move never echoed into its confirmation: the page's own (token, CSRF, "show
# every card", the columns' "last-…" loaded positions, sent again by hx-include), the answer
# itself and the criteria it named (named again as they are now).
_NOT_ECHOED = {"csrf_token", "confirm", "token", "show", "unticked"}


def _left_unticked() -> set[int] | bool:
    """With the confirmation: the ids of the criteria its question named (the move leaves
    those unticked, no other); without: False."""
    if not confirmed():
        return False
    return {number for value in request.form.getlist("unticked")
            if (number := parse_int(value)) is not None}


def _ask_to_leave_unticked(project: Project, criteria, filters: BoardFilters):
    """The question before a move that leaves exit criteria unticked, naming them: in the
    card's place for htmx (Confirm moves, Cancel puts the card back where it really is), the
    confirmation page otherwise. Nothing was written."""
    stage = db.session.get(Stage, project.stage_id)
    names = ", ".join(localized(c) for c in criteria)
    question = ngettext(
        "“%(title)s” leaves “%(stage)s” with one exit criterion unticked: %(criteria)s. "
        "Move it all the same?",
        "“%(title)s” leaves “%(stage)s” with %(num)d exit criteria unticked: %(criteria)s. "
        "Move it all the same?",
        len(criteria), title=project.title, stage=localized(stage), criteria=names)
    action_label = _("Move all the same")
    named = [("unticked", str(c.id)) for c in criteria]
    hidden = [(name, value) for name, value in request.form.items(multi=True)
              if name not in _NOT_ECHOED and not name.startswith("last-")]
    if not is_htmx():
        back = safe_next(request.form.get("next")) or board_url(filters)
        return ask_first(question, back, action_label=action_label, hidden=hidden + named)
    response = render("board/_leave_unticked.html", project=project, question=question,
                      criteria=criteria, hidden=hidden + named, action_label=action_label)
    return focus_on(response, dom_id(project, "leave") + "-question")


@bp.post("/projects/<int:project_id>/move")
@staff_required
def move(project_id: int):
    # Parse.
    project = _project_or_404(project_id)
    filters = _filters()
    form = _move_form(project)
    # Check.
    if not form.validate_on_submit():
        dropped_off = is_htmx() and set(form.errors) == {"stage_id"}
        if project.status != ProjectStatus.ACTIVE or dropped_off:
            # Off the board, or dropped on a column retired since: the card goes back.
            return _refused(project_id, BoardError(), filters)
        return _render_move_form(project, form, 422)
    # Call the service, commit.
    target = form.stage_id.data
    try:
        result = move_project(
            project, current_user, stage_id=target, seen_version=form.version.data,
            after_id=form.after_id.data, index=form.position.data,
            comment=form.comment.data, leave_unticked=_left_unticked(),
        )
        # The project, its holders and the stages keep what was committed (see the helper):
        # the answer reads none of them again.
        commit_keeping_loaded()
    except UntickedCriteria as asked:
        db.session.rollback()
        return _ask_to_leave_unticked(_project_or_404(project_id), asked.criteria, filters)
    except CommentRequired:
        db.session.rollback()
        project = _project_or_404(project_id)
        form.stage_id.data = target
        form.comment.errors = [_("Say why the project goes back a stage.")]
        return _render_move_form(project, form, 422)
    except BoardError as error:  # a concurrent move that kept its place too: Conflict
        return _refused(project_id, error, filters)
    # Answer.
    project = result.project
    token = shift_token(request.form.get("token"), project, result.from_stage_id)
    stage_ids = list(dict.fromkeys([result.from_stage_id, project.stage_id]))
    return answers.changed(project, _moved_message(project, result.stage_changed), filters,
                           stage_ids, token, stages=form.stages)


def _status_change(project_id: int, form_class, change, message: str):
    project = _project_or_404(project_id)
    filters = _filters()
    form = form_class()
    if not form.validate_on_submit():
        if project.status != ProjectStatus.ACTIVE:
            return _refused(project_id, BoardError(), filters)
        failing = {"close_form" if form_class is CloseForm else "pause_form": form}
        return _render_move_form(project, _move_form(project), 422, **failing)
    old_stage, old_version = project.stage_id, project.version
    was_on_board = project.status == ProjectStatus.ACTIVE
    try:
        change(project, form)
        db.session.commit()
    except BoardError as error:
        return _refused(project_id, error, filters)
    except ReferralError as error:  # the body a project is redirected to: nothing written
        db.session.rollback()
        form.partner_id.errors = [str(error)]
        project = _project_or_404(project_id)
        return _render_move_form(project, _move_form(project), 422, close_form=form)
    token = shift_token(request.form.get("token"), project, old_stage,
                        was_on_board=was_on_board, old_version=old_version)
    return answers.changed(project, message % {"title": project.title}, filters, [old_stage],
                           token)


def _close(project: Project, form: CloseForm) -> None:
    """Close the project; redirected, its outgoing referral to the body named (created
    when new), the close's reason as the referral's: one transaction, the route's.
    Raises BoardError or ReferralError (the partner was archived since)."""
    change = close_project(project, current_user, form.version.data, form.outcome.data,
                           form.reason.data, jobs_created=form.jobs_created.data)
    if form.outcome.data != "redirected":
        return
    if form.partner_id.data is not None:
        partner = referral_queries.partner_for_referral(form.partner_id.data)
        if partner is None:
            raise ReferralError(_("This partner is archived: choose another one."))
    else:
        partner = referral_services.new_partner(current_user, form.new_partner.data or "")
    referral_services.refer(
        current_user, project, partner, direction=ReferralDirection.OUTGOING.value,
        referred_on=referral_services.pole_today(change.changed_at), reason=form.reason.data,
        now=change.changed_at)


@bp.post("/projects/<int:project_id>/close")
@staff_required
def close(project_id: int):
    return _status_change(
        project_id, CloseForm, _close,
        _("“%(title)s” is closed. It is listed with the closed projects."),
    )


@bp.post("/projects/<int:project_id>/pause")
@staff_required
def pause(project_id: int):
    return _status_change(
        project_id, PauseForm,
        lambda p, f: pause_project(p, current_user, f.version.data, f.reason.data or None),
        _("“%(title)s” is paused. It is listed with the closed projects."),
    )


@bp.post("/projects/<int:project_id>/reopen")
@staff_required
def reopen(project_id: int):
    project = _project_or_404(project_id)
    form = ReopenForm()
    if not form.validate_on_submit():
        abort(400)
    if not confirmed():
        return ask_first(_("Put “%(title)s” back on the board?", title=project.title),
                         url_for("board.closed"), action_label=_("Reopen"))
    try:
        reopen_project(project, current_user, form.version.data)
        db.session.commit()
    except BoardError as error:
        db.session.rollback()
        flash(_("Someone changed this project in the meantime. Check it, then try again.")
              if error.status == 409 else _("No stage is open to receive the project."),
              "error")
        return redirect(url_for("board.closed"), code=303)
    flash(_("“%(title)s” is back on the board.", title=project.title), "success")
    return redirect(url_for("board.closed"), code=303)


@bp.get("/board/closed")
@staff_required
def closed():
    page = queries.off_board(query_int("page", 1))
    return render_template("board/closed.html", page=page, reopen_form=ReopenForm())

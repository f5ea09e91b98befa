"""What every board card repeats, computed once per request.

A board shows hundreds of cards; building four URLs and six translated labels for each of them
was most of the page's cost (docs/performance.md). The kit builds each URL pattern and each
label once per request (plural labels once per number) and the card template only fills in
the project's values.

Then each card's HTML is kept in a bounded in-process cache (``card_html``), keyed by every
value the card shows (``card_key``), so a card is rendered again only when one of them changed:
nothing has to be invalidated, in this process or another, and a stale card cannot be served
as long as the key names every input of ``templates/board/_card.html``.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app, g, request, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from jinja2 import pass_context
from markupsafe import Markup

from ..dom import dom_id
from ..reference import stalled_thresholds
from .queries import BoardFilters

_ID = 987654321  # stands for the project id in the URL patterns


def _board_address() -> str:
    """The board page's address with only what it reads (its filters, "show every card"),
    where a card's move page brings the user back: parameters it ignores are left out, so
    an address padded with them (up to the server's request line) neither repeats in every
    card nor makes each card a new entry of the cache below."""
    args = BoardFilters.from_args(request.args).as_args()
    if request.args.get("show") == "all":
        args["show"] = "all"
    return url_for("board.index", **args)


class CardKit:
    def __init__(self) -> None:
        self.no_holder = _("No holder yet")
        self.unassigned = _("Unassigned")
        self.stalled = _("Stalled")
        self.move = _("Move…")
        self.mentor_mark = _("Mentored")
        self._move_label = _("Move or close “%(title)s”")
        self._show = url_for("projects.show", project_id=_ID)
        self._move = url_for("board.move", project_id=_ID)
        self._move_form = url_for("board.move_form", project_id=_ID)
        on_board = request.method == "GET" and request.endpoint == "board.index"
        self._move_page = url_for("board.move_form", project_id=_ID,
                                  next=_board_address() if on_board else None)
        self._memo: dict[tuple[str, int], str] = {}
        # What every card of this request shares and shows: the language (labels, the theme's
        # name, money) and the URL patterns (the move page's one holds the board's address).
        locale = get_locale()
        self.signature = (str(locale), self._show, self._move, self._move_form,
                          self._move_page)
        # For the cache keys: what i18n.days_since, i18n.localized and reference.is_stalled
        # read, taken once per request instead of through Flask's proxies for every card.
        self.now = datetime.now(UTC)
        self._name_field = (f"name_{locale.language}"
                            if locale is not None and locale.language != "fr" else None)
        self._stalled_default = self.now - timedelta(days=current_app.config["STALLED_DAYS"])
        self._stalled_after = {sid: self.now - timedelta(days=days)
                               for sid, days in stalled_thresholds().items()}

    def days_since(self, value: datetime | None) -> int | None:
        """``i18n.days_since`` at the request's instant."""
        return None if value is None else max(0, (self.now - value).days)

    def is_stalled(self, project) -> bool:
        """``reference.is_stalled`` at the request's instant."""
        if project.last_activity_at is None or project.stage_id is None:
            return False
        cutoff = self._stalled_after.get(project.stage_id, self._stalled_default)
        return project.last_activity_at <= cutoff

    def stalls_at(self, project):
        """The instant ``project`` gets (or got) its stalled mark, or None (no activity date
        or stage): what ``is_stalled`` compares, as an instant."""
        if project.last_activity_at is None or project.stage_id is None:
            return None
        cutoff = self._stalled_after.get(project.stage_id, self._stalled_default)
        return project.last_activity_at + (self.now - cutoff)

    def theme_name(self, theme) -> str:
        """``i18n.localized(theme)`` in the request's language."""
        if self._name_field:
            return getattr(theme, self._name_field, "") or theme.name or ""
        return theme.name or ""

    @staticmethod
    def _fill(pattern: str, project_id: int) -> str:
        return pattern.replace(str(_ID), str(project_id))

    def show_url(self, project_id: int) -> str:
        return self._fill(self._show, project_id)

    def move_url(self, project_id: int) -> str:
        return self._fill(self._move, project_id)

    def move_form_url(self, project_id: int) -> str:
        return self._fill(self._move_form, project_id)

    def move_page_url(self, project_id: int) -> str:
        return self._fill(self._move_page, project_id)

    def move_label(self, title: str) -> str:
        return self._move_label % {"title": title}

    def _once(self, key: str, number: int, make) -> str:
        """Translate a plural label once per number (cards share "12 days in stage")."""
        if (key, number) not in self._memo:
            self._memo[key, number] = make()
        return self._memo[key, number]

    def days_in_stage(self, days: int) -> str:
        return self._once("days", days, lambda: ngettext(
            "%(num)d day in stage", "%(num)d days in stage", days))

    def idle(self, days: int) -> str:
        return self._once("idle", days, lambda: ngettext(
            "No activity for %(num)d day", "No activity for %(num)d days", days))

    def steps(self, count: int) -> str:
        return self._once("steps", count, lambda: ngettext(
            "%(num)d next step", "%(num)d next steps", count))

    def overdue(self, count: int) -> str:
        return self._once("overdue", count, lambda: ngettext(
            "%(num)d overdue", "%(num)d overdue", count))


    def granted(self, amount: str) -> str:
        """The funding mark: "12 500 € granted" (``amount`` formatted by ``|money``)."""
        return _("%(amount)s granted", amount=amount)

    def mentored(self, names: list[str]) -> str:
        """The mentor mark's accessible text: who mentors the project."""
        return _("Mentored by %(names)s", names=", ".join(names))


def card_kit() -> CardKit:
    """The request's kit (a Jinja global)."""
    if "card_kit" not in g:
        g.card_kit = CardKit()
    return g.card_kit


# --- Rendered cards -------------------------------------------------------------------------

_cards: OrderedDict[tuple, Markup] = OrderedDict()
_cards_lock = threading.Lock()
_stats = {"hits": 0, "misses": 0}


def card_key(project, step_counts: dict | None, mentor_marks: dict | None,
             granted_funding: dict | None) -> tuple:
    """Every value ``_card.html`` shows for ``project``: the request's language and URL
    patterns, the project's own fields (its version included), the days counted from today
    (so the key changes with the day), the stalled mark (the stage's threshold), the holders',
    theme's and advisor's names, and the marks read for the page (next steps, mentors,
    funding). Any change to one of them is a new key."""
    kit = card_kit()
    pid = project.id
    mentors = (mentor_marks or {}).get(pid)
    steps = (step_counts or {}).get(pid)
    advisor = project.advisor
    theme = project.theme
    links = project.holder_links
    idle = kit.days_since(project.last_activity_at)
    return (
        kit.signature, pid, project.version, project.title, project.commune,
        kit.days_since(project.stage_entered_at), idle,
        idle is not None and kit.is_stalled(project),
        tuple(link.user.name for link in links) if links else None,
        kit.theme_name(theme) if theme else None,
        (advisor.name, advisor.initials) if advisor else None,
        tuple(mentors) if mentors else None,
        (granted_funding or {}).get(pid),
        tuple(steps) if steps else None,
    )


@pass_context
def card_html(context, project) -> Markup:
    """The card of ``project`` as ``board/_card.html`` renders it, from the cache when every
    value it shows is unchanged (a Jinja global: ``{{ card_html(project) }}``). The size of
    the cache is ``BOARD_CARD_CACHE`` cards per process (0: no cache)."""
    marks = {name: context.get(name) for name in
             ("step_counts", "mentor_marks", "granted_funding")}
    size = current_app.config.get("BOARD_CARD_CACHE", 0)
    key = card_key(project, **marks) if size else None
    if key is not None:
        with _cards_lock:
            html = _cards.get(key)
            if html is not None:
                _cards.move_to_end(key)
                _stats["hits"] += 1
                return html
    template = current_app.jinja_env.get_template("board/_card.html")
    variables: dict[str, Any] = {"project": project, "card_kit": card_kit, "dom_id": dom_id,
                                 **{k: v for k, v in marks.items() if v is not None}}
    # The template's own output, escaped by Jinja as it rendered (a module's __html__):
    # the same markup an include would have produced.
    html = template.make_module(variables).__html__()
    if key is not None:
        with _cards_lock:
            _stats["misses"] += 1
            _cards[key] = html
            while len(_cards) > size:
                _cards.popitem(last=False)
    return html


def clear_card_cache() -> None:
    """Forget every rendered card (tests; a deployment never needs it: keys are values)."""
    with _cards_lock:
        _cards.clear()
        _stats.update(hits=0, misses=0)


def card_cache_stats() -> dict[str, int]:
    with _cards_lock:
        return {**_stats, "size": len(_cards)}

"""What every board card repeats, computed once per request.

A board shows hundreds of cards; building four URLs and six translated labels for each of them
was most of the page's cost (docs/performance.md). The kit builds each URL pattern and each
label once per request (plural labels once per number) and the card template only fills in
the project's values.
"""

from __future__ import annotations

from flask import g, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

_ID = 987654321  # stands for the project id in the URL patterns


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
                                  next=request.full_path if on_board else None)
        self._memo: dict[tuple[str, int], str] = {}

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

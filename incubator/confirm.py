"""Confirmation before a destructive or hard-to-undo action (delete, remove, deactivate,
reactivate, reopen).

The page offers a two-step control (``templates/macros/confirm.html``): the first button
reveals the question naming the thing, with Confirm and Cancel; the Confirm form carries
``confirm=1``. A route calls ``confirmed()`` before changing anything; a POST without it (an
old page, a crafted request) gets ``ask_first``: the question with the Confirm form, status
200, nothing changed. Works without JavaScript; htmx shows the same question in the page.
"""

from __future__ import annotations

from flask import Response, request

from .htmx import is_htmx, render

# Fields never echoed into the confirmation form (the page adds its own token and answer).
_NOT_ECHOED = {"csrf_token", "confirm"}


def confirmed() -> bool:
    """Whether the POST carries the user's explicit confirmation."""
    return request.form.get("confirm") == "1"


def ask_first(question: str, back: str, *, action_label: str,
              hidden: list[tuple[str, str]] | None = None) -> Response:
    """The confirmation of the current POST: ``question`` (naming the thing), a Confirm button
    posting the same fields again (or ``hidden``, when given: name/value pairs) with
    ``confirm=1``, and a way back to ``back``. Status 200, nothing changed. For htmx, the
    question replaces the page's main content (its Confirm is a plain form: the answer is then
    a whole page)."""
    if hidden is None:
        hidden = [(name, value) for name, value in request.form.items(multi=True)
                  if name not in _NOT_ECHOED]
    context = {"question": question, "action": request.path, "hidden": hidden, "back": back,
               "action_label": action_label}
    if is_htmx():
        response = render("_confirm.html", **context)
        response.headers["HX-Retarget"] = "#main"
        response.headers["HX-Reswap"] = "innerHTML show:top"
        return response
    return render("confirm.html", **context)

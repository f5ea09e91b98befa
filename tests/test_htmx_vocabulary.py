"""House rules of the htmx answers, read from the source: one message fragment, only
``hx-swap-oob`` out of band, element ids from ``dom_id`` (never built by hand)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = sorted((ROOT / "templates").rglob("*.html"))
PYTHON = sorted((ROOT / "incubator").rglob("*.py"))


def _offenders(files, pattern: re.Pattern, allowed: tuple[str, ...] = ()) -> list[str]:
    found = []
    for path in files:
        name = path.relative_to(ROOT).as_posix()
        if name in allowed:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if pattern.search(line):
                found.append(f"{name}:{number}: {line.strip()}")
    return found


def test_only_the_message_fragment_writes_into_the_message_area():
    pattern = re.compile(r'id="messages"|hx-(swap-oob|target)="[^"]*#messages')
    assert _offenders(TEMPLATES, pattern, ("templates/_message.html",)) == []


def test_out_of_band_parts_use_hx_swap_oob_only():
    pattern = re.compile(r"hx-select-oob|HX-Reselect|selectOOB")
    assert _offenders(TEMPLATES + PYTHON, pattern) == []


def test_ids_of_rows_come_from_dom_id():
    by_hand_in_templates = re.compile(
        r'(?<![\w-])(id|for|hx-target)="#?[a-z-]+\{\{\s*([a-z_]+\.id|[a-z]+_id|pid)\s*\}\}|~\s*[a-z_]+\.id\b')
    # A selector, or a model's name and its id ("project-{…}", "note-{…}").
    models = "project|note|next-step|step|document|stage|user|notification|user-session"
    by_hand_in_python = re.compile(rf'f"(#[a-z-]+|({models}))-?\{{')
    assert _offenders(TEMPLATES, by_hand_in_templates) == []
    assert _offenders(PYTHON, by_hand_in_python) == []


def test_routes_end_a_change_with_the_helpers_of_htmx_py():
    """No route writes "fragment if htmx, else flash and 303" itself (htmx.done does)."""
    routes = [p for p in PYTHON if p.name.startswith("routes")]
    offenders = []
    for path in routes:
        for function in re.split(r"\n(?=def |@)", path.read_text(encoding="utf-8")):
            if "is_htmx()" in function and 'flash(message, "success")' in function:
                offenders.append(f"{path.relative_to(ROOT)}: {function.split('(')[0]}")
    assert offenders == []


def _page_event_listeners() -> list[tuple[str, dict[str, str]]]:
    """(template, attributes) of every element that reloads on an event fired on the page
    (``from:body``, ``from:document``, ``from:window``)."""
    tag = re.compile(r"<[a-z]+\s([^<>]*?\bhx-trigger=\"[^\"]*\bfrom:(?:body|document|window)\b[^<>]*)>",
                     re.DOTALL)
    attribute = re.compile(r'([a-z-]+)(?:="([^"]*)")?')  # a bare attribute: ""
    found = []
    for path in TEMPLATES:
        text = re.sub(r"\{\{.*?\}\}", "…", path.read_text(encoding="utf-8"))  # "a > b" in Jinja
        for match in tag.finditer(text):
            found.append((path.relative_to(ROOT).as_posix(), dict(attribute.findall(match.group(1)))))
    return found


def test_an_element_reloading_on_a_page_event_stays_and_never_misses_one():
    """The listener must outlive its reloads. An element replacing itself (``outerHTML``,
    without ``hx-target``) missed events twice: htmx binds a swapped-in element when it settles
    (20 ms later by default), and an event during a reload queued one more on the element that
    the reload then removed, which htmx drops (a step ticked while the history reloaded after
    it was created never showed in it). So the listener wraps what it reloads, ``innerHTML``."""
    listeners = _page_event_listeners()
    assert {name for name, _ in listeners} >= {"templates/projects/show.html",
                                               "templates/admin/users.html"}
    for name, attrs in listeners:
        assert "hx-target" not in attrs and attrs.get("hx-swap", "").split()[:1] == ["innerHTML"], name


def test_a_reload_on_a_page_event_fails_without_a_message():
    """Such a reload is not the user's doing: ``data-refresh`` keeps its failure from
    replacing the message of the change it follows (static/js/app.js, ``isRefresh``)."""
    listeners = _page_event_listeners()
    assert listeners
    for name, attrs in listeners:
        assert "data-refresh" in attrs, name

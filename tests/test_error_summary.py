"""The error summary of a refused form (issue 9, part B): every form with fields shows one,
listing each error as a link to its field, for a plain request and for htmx alike."""

from __future__ import annotations

import re
from pathlib import Path

from incubator.extensions import db

from . import factories

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = sorted((ROOT / "templates").rglob("*.html"))


def test_every_template_that_renders_form_fields_shows_the_error_summary():
    offenders = []
    for path in TEMPLATES:
        text = path.read_text(encoding="utf-8")
        if path.name == "forms.html":
            continue
        if re.search(r"\{\{\s*field\(", text) and "form_errors(" not in text:
            name = path.relative_to(ROOT / "templates").as_posix()
            # A partial of fields (cohorts/_fields.html) counts when every template that
            # includes it shows the summary.
            includers = [t.read_text(encoding="utf-8") for t in TEMPLATES
                         if f'include "{name}"' in t.read_text(encoding="utf-8")]
            if not includers or any("form_errors(" not in t for t in includers):
                offenders.append(path.relative_to(ROOT).as_posix())
    assert offenders == []


def test_each_form_shows_one_summary_per_form_it_renders():
    """A template with several forms (the move panel) gives each its own summary."""
    for path in TEMPLATES:
        text = path.read_text(encoding="utf-8")
        if path.name == "forms.html" or "form_errors(" not in text:
            continue
        forms = {m for m in re.findall(r"field\((\w+)\.", text)}
        summaries = set(re.findall(r"form_errors\((\w+)", text))
        assert forms <= summaries, (path.name, forms - summaries)


def text_of_heading(summary: str) -> str:
    return re.search(r"<h2[^>]*>([^<]+)</h2>", summary).group(1)


def _summary(html: str) -> str:
    start = html.index("data-error-summary")
    return html[html.rindex("<div", 0, start):html.index("</div>", start)]


def test_the_idea_form_lists_each_error_as_a_link_to_its_field(client, login):
    login("holder")
    response = client.post("/projects/new", data={"title": "", "submit_idea": "1"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    summary = _summary(html)
    assert 'role="alert"' in summary and 'tabindex="-1"' in summary
    links = re.findall(r'<a href="#([\w-]+)">([^<]+)</a>', summary)
    assert links, summary
    for target, text in links:
        assert f'id="{target}"' in html  # the link leads to the field
        assert ": " in text  # "Label: message"
    assert text_of_heading(summary) == f"{len(links)} problems to fix"


def test_a_refused_htmx_form_comes_back_with_its_summary(client, login):
    advisor = login("advisor")
    project = factories.project(title="Ferme", advisor=advisor)
    db.session.commit()
    response = client.post(f"/projects/{project.id}/next-steps", htmx=True,
                           data={"title": "", "due_on": ""})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    summary = _summary(html)
    links = re.findall(r'<a href="#([\w-]+)">', summary)
    assert "next-step-title" in links
    for target in links:
        assert f'id="{target}"' in html
    # No field takes the focus from the summary.
    assert "autofocus" not in html


def test_every_form_with_fields_leaves_the_checks_to_the_server():
    """A form rendering fields carries ``novalidate``: the browser's own bubble for a
    ``required`` field (in the browser's language, gone at the next click, no summary) would
    stop the request, and the error summary would never show."""
    offenders = []
    for path in TEMPLATES:
        text = path.read_text(encoding="utf-8")
        if path.name == "forms.html" or not re.search(r"\{\{\s*field\(", text):
            continue
        for form in re.findall(r"<form\b.*?</form>", text, re.S):
            tag = form[:form.index(">") + 1]
            if re.search(r"\{\{\s*field\(", form) and "novalidate" not in tag:
                offenders.append((path.relative_to(ROOT).as_posix(), tag[:70]))
    assert offenders == []

"""Required fields say so: a visible "(required)" in the label text, ``required`` and
``aria-required`` on the control (the one ``field()`` macro, so every form is alike)."""

from __future__ import annotations

import re

from incubator.extensions import db

from . import factories


def _label_and_control(html: str, control_id: str) -> tuple[str, str]:
    label = re.search(rf'<label for="{control_id}">(.*?)</label>', html, re.S).group(1)
    control = re.search(rf'<(?:textarea|input|select)[^>]*id="{control_id}"[^>]*>', html).group(0)
    return label, control


def test_the_close_reason_is_labelled_as_required(client, login):
    login("advisor")
    project = factories.project(stage_position=2)
    db.session.commit()
    html = client.get(f"/projects/{project.id}/move").get_data(as_text=True)
    label, control = _label_and_control(html, f"move-project-{project.id}-close-reason")
    assert "Reason" in label and '<span class="required-marker">(required)</span>' in label
    assert " required" in control and 'aria-required="true"' in control
    # The pause reason is optional: no marker, no attribute.
    label, control = _label_and_control(html, f"move-project-{project.id}-pause-reason")
    assert "required-marker" not in label and "required" not in control


def test_the_marker_is_french_for_french_users(client, login):
    login("advisor")
    project = factories.project(stage_position=2)
    db.session.commit()
    html = client.get(f"/projects/{project.id}/move",
                      headers={"Accept-Language": "fr-FR"}).get_data(as_text=True)
    label, _ = _label_and_control(html, f"move-project-{project.id}-close-reason")
    assert "(obligatoire)" in label


def test_every_required_field_of_the_login_form_is_marked(client):
    html = client.get("/auth/login").get_data(as_text=True)
    for control_id in ("email", "password"):
        label, control = _label_and_control(html, control_id)
        assert "(required)" in label and 'aria-required="true"' in control

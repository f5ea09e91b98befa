"""The pole's identity on /admin/pole (issue 13, "The pole"): managers only, every refusal,
the version check, and the saved values where they are shown or used (layout, e-mails,
privacy notice, printed report, time zone of "today")."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from PIL import Image
from sqlalchemy import func, select

from incubator.extensions import db
from incubator.i18n import pole_today
from incubator.models import AppendOnlyError, PoleSettings, PoleSettingsVersion
from incubator.outbox import queue_mail
from incubator.pole import current_pole, forget_current_pole, pole_time_zone

URL = "/admin/pole"


def _image(kind: str = "PNG", size: tuple[int, int] = (600, 300)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 40, 40)).save(out, format=kind)
    return out.getvalue()


SVG = (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg">'
       b'<script>alert(1)</script></svg>')


def _form(version: int = 0, **changes) -> dict:
    data = {"name": "Pôle ESS du Pays de Vitré", "short_name": "PESS Vitré",
            "territory": "Pays de Vitré", "contact_email": "Contact@Pole-Vitre.example",
            "postal_address": "2 rue de la Poterie\n35500 Vitré",
            "time_zone": "Europe/Paris", "version": str(version)}
    data.update(changes)
    return data


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


# Who may -------------------------------------------------------------------------------


def test_a_manager_sees_the_settings_page_with_the_configured_values(app, client, login):
    login("manager")
    response = client.get(URL)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "HX-Request" in response.vary
    assert "<html" in html and 'id="pole-settings"' in html
    assert app.config["POLE_NAME"] in html and 'selected value="Europe/Paris"' in html
    assert 'name="version" type="hidden" value="0"' in html


def test_the_settings_form_comes_alone_to_htmx(client, login):
    login("manager")
    response = client.get(URL, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "HX-Request" in response.vary
    assert html.lstrip().startswith('<div id="pole-settings"') and "<html" not in html


@pytest.mark.parametrize("role", ["advisor", "holder", "mentor"])
def test_other_roles_get_403_and_change_nothing(client, login, role):
    login(role)
    assert client.get(URL).status_code == 403
    assert client.post(URL, data=_form()).status_code == 403
    assert _count(PoleSettings) == 0


def test_a_visitor_is_sent_to_the_login_page(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    response = client.post(URL, data=_form())
    assert response.status_code in (302, 303) and _count(PoleSettings) == 0
    assert client.get(URL, htmx=True).status_code == 401


def test_the_header_links_to_the_page_for_managers_only(client, login):
    login("advisor")
    assert 'href="/admin/pole"' not in client.get("/board").get_data(as_text=True)
    client.post("/auth/logout")
    login("manager")
    assert 'href="/admin/pole"' in client.get("/admin/users").get_data(as_text=True)


# Saving ---------------------------------------------------------------------------------


def test_a_save_is_shown_in_the_layout_and_recorded_with_who_and_when(
        client, login, security_events):
    manager = login("manager", name="Claire Rouxel")
    response = client.post(URL, data=_form())
    assert response.status_code == 303 and response.headers["Location"].endswith(URL)
    row = db.session.get(PoleSettings, 1)
    assert (row.name, row.short_name, row.contact_email, row.version) == (
        "Pôle ESS du Pays de Vitré", "PESS Vitré", "contact@pole-vitre.example", 1)
    assert row.postal_address == "2 rue de la Poterie\n35500 Vitré"
    saved = db.session.scalars(select(PoleSettingsVersion)).one()
    assert saved.changed_by_id == manager.id and saved.version == 1
    assert "name" in saved.changed_fields.split(",")
    html = client.get(URL).get_data(as_text=True)
    assert "Incubateur PESS Vitré</title>" in html
    assert '<span class="brand-pole">PESS Vitré</span>' in html
    assert "Pôle ESS du Pays de Vitré · <a" in html  # the footer
    assert "Claire Rouxel" in html  # the history
    assert security_events.kinds() == ["login.succeeded", "pole.changed"]


def test_a_save_by_htmx_redirects_with_hx_redirect(client, login):
    login("manager")
    response = client.post(URL, data=_form(), htmx=True)
    assert response.status_code == 204 and response.headers["HX-Redirect"] == URL
    assert db.session.get(PoleSettings, 1).version == 1


def test_saving_the_same_values_again_writes_nothing(client, login):
    login("manager")
    client.post(URL, data=_form())
    response = client.post(URL, data=_form(version=1), follow_redirects=True)
    assert "Nothing changed" in response.get_data(as_text=True)
    assert db.session.get(PoleSettings, 1).version == 1 and _count(PoleSettingsVersion) == 1


def test_history_rows_are_never_edited_nor_deleted(app, client, login):
    login("manager")
    client.post(URL, data=_form())
    saved = db.session.scalars(select(PoleSettingsVersion)).one()
    saved.name = "Autre"
    with pytest.raises(AppendOnlyError, match="never edited"):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.scalars(select(PoleSettingsVersion)).one())
    with pytest.raises(AppendOnlyError, match="never deleted"):
        db.session.flush()
    db.session.rollback()


def test_the_configuration_speaks_until_a_manager_saves(app, client):
    html = client.get("/privacy").get_data(as_text=True)
    assert app.config["POLE_NAME"] in html


# Refusals -------------------------------------------------------------------------------


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "Factory", "localtime", "", "UTC'--"])
def test_a_time_zone_not_offered_is_refused(client, login, zone):
    login("manager")
    response = client.post(URL, data=_form(time_zone=zone))
    assert response.status_code == 422 and _count(PoleSettings) == 0
    assert 'id="time_zone-error"' in response.get_data(as_text=True)


@pytest.mark.parametrize("email", ["pas-une-adresse", "a@b", "x@example.org\nBcc: y@z.org"])
def test_a_bad_contact_email_is_refused_and_the_input_kept(client, login, email):
    login("manager")
    response = client.post(URL, data=_form(contact_email=email))
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and _count(PoleSettings) == 0
    assert 'id="contact_email-error"' in html and "Pays de Vitré" in html


def test_a_name_is_required(client, login):
    login("manager")
    response = client.post(URL, data=_form(name="   "), htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and html.lstrip().startswith('<div id="pole-settings"')
    assert 'id="name-error"' in html and _count(PoleSettings) == 0


@pytest.mark.parametrize("data, filename", [
    (SVG, "logo.svg"),
    (SVG, "logo.png"),  # an SVG renamed: its content says what it is
    (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "logo.webp"),
    (b"%PDF-1.7 not an image", "logo.png"),
    (b"GIF89a" + b"\x00" * 50, "logo.png"),  # an image, but not one of the three types
])
def test_a_logo_that_is_not_png_jpeg_or_webp_is_refused(client, login, data, filename):
    login("manager")
    response = client.post(URL, data=_form(logo=(io.BytesIO(data), filename, "image/png")),
                           content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and _count(PoleSettings) == 0
    assert "must be a PNG, JPEG or WebP image" in html and 'id="logo-error"' in html


def test_a_logo_over_the_limit_is_413(app, client, login):
    app.config["POLE_LOGO_MAX_BYTES"] = 50_000
    login("manager")
    huge = _image("PNG") + b"\x00" * 60_000  # a real PNG signature, too many bytes
    response = client.post(URL, data=_form(logo=(io.BytesIO(huge), "logo.png")),
                           content_type="multipart/form-data")
    assert response.status_code == 413 and _count(PoleSettings) == 0
    assert "larger than the limit" in response.get_data(as_text=True)


def test_a_damaged_png_is_refused(client, login):
    login("manager")
    damaged = _image("PNG")[:60]
    response = client.post(URL, data=_form(logo=(io.BytesIO(damaged), "logo.png")),
                           content_type="multipart/form-data")
    assert response.status_code == 422 and _count(PoleSettings) == 0


def test_a_png_named_jpg_is_refused_like_a_document(client, login):
    login("manager")
    response = client.post(URL, data=_form(logo=(io.BytesIO(_image("PNG")), "logo.jpg")),
                           content_type="multipart/form-data")
    assert response.status_code == 422 and "Rename it" in response.get_data(as_text=True)


# The version check ----------------------------------------------------------------------


def test_a_stale_save_is_409_with_the_input_kept_and_the_current_values_shown(client, login):
    login("manager")
    assert client.post(URL, data=_form(name="Premier nom")).status_code == 303
    response = client.post(URL, data=_form(version=0, name="Mon nom à moi"))
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert 'value="Mon nom à moi"' in html and "Premier nom" in html  # mine kept, theirs shown
    assert 'name="version" type="hidden" value="1"' in html
    assert db.session.get(PoleSettings, 1).name == "Premier nom"
    # Sent again from the 409 page: the user's version wins, knowingly.
    assert client.post(URL, data=_form(version=1, name="Mon nom à moi")).status_code == 303
    assert db.session.get(PoleSettings, 1).name == "Mon nom à moi"


def test_a_stale_save_by_htmx_is_409_with_the_form_fragment(client, login):
    login("manager")
    client.post(URL, data=_form(name="Premier nom"))
    response = client.post(URL, data=_form(version=0, name="Le mien"), htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 409 and html.lstrip().startswith('<div id="pole-settings"')
    assert 'value="Le mien"' in html and "conflict-notice" in html


def test_a_save_without_version_is_stale(client, login):
    login("manager")
    data = _form()
    del data["version"]
    assert client.post(URL, data=data).status_code == 409 and _count(PoleSettings) == 0


# The logo -------------------------------------------------------------------------------


@pytest.mark.parametrize("kind, filename", [("PNG", "logo.png"), ("JPEG", "logo.jpeg"),
                                            ("WEBP", "logo.webp")])
def test_a_logo_is_resized_stored_as_png_and_served_safely(app, client, login, kind,
                                                           filename):
    login("manager")
    response = client.post(URL, data=_form(logo=(io.BytesIO(_image(kind, (1200, 600))),
                                                 filename)),
                           content_type="multipart/form-data")
    assert response.status_code == 303
    row = db.session.get(PoleSettings, 1)
    with Image.open(io.BytesIO(row.logo)) as stored:
        assert stored.format == "PNG" and max(stored.size) <= app.config["POLE_LOGO_PIXELS"]
        assert stored.size == (256, 128)
    html = client.get(URL).get_data(as_text=True)
    src = f"/pole/logo?v={row.logo_sha256[:16]}"
    assert f'class="brand-logo" src="{src}"' in html
    client.post("/auth/logout")
    served = client.get(src)  # the header of every page shows it: no login needed
    assert served.status_code == 200 and served.data == row.logo
    assert served.headers["Content-Type"] == "image/png"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert "immutable" in served.headers["Cache-Control"]
    assert "sandbox" in served.headers["Content-Security-Policy"]
    other = client.get("/pole/logo?v=old")
    assert other.headers["Cache-Control"] == "no-cache"
    assert client.get("/pole/logo", headers={
        "If-None-Match": f'"{row.logo_sha256}"'}).status_code == 304


def test_no_logo_is_404_and_a_logo_can_be_removed(client, login):
    login("manager")
    assert client.get("/pole/logo").status_code == 404
    client.post(URL, data=_form(logo=(io.BytesIO(_image()), "logo.png")),
                content_type="multipart/form-data")
    assert client.get("/pole/logo").status_code == 200
    client.post(URL, data=_form(version=1, remove_logo="y"))
    row = db.session.get(PoleSettings, 1)
    assert row.logo is None and row.version == 2
    assert client.get("/pole/logo").status_code == 404
    assert db.session.scalars(select(PoleSettingsVersion.changed_fields)
                              .order_by(PoleSettingsVersion.id.desc())).first() == "logo"


def test_a_new_save_keeps_the_logo_unless_removed(client, login):
    login("manager")
    client.post(URL, data=_form(logo=(io.BytesIO(_image()), "logo.png")),
                content_type="multipart/form-data")
    client.post(URL, data=_form(version=1, territory="Vitré Communauté"))
    row = db.session.get(PoleSettings, 1)
    assert row.logo is not None and row.territory == "Vitré Communauté"


# Where the settings are used ------------------------------------------------------------


def test_every_email_ends_with_the_pole_footer(app, client, login):
    login("manager")
    client.post(URL, data=_form())
    with app.test_request_context():
        mail = queue_mail("someone@example.org", "Objet", "Bonjour,\n")
    assert mail.body.endswith("\n-- \nPôle ESS du Pays de Vitré\n2 rue de la Poterie\n"
                              "35500 Vitré\ncontact@pole-vitre.example\n")


def test_an_invitation_mail_carries_the_saved_name(app, client, login):
    login("manager")
    client.post(URL, data=_form())
    client.post("/admin/users/invite", data={"name": "Sophie Maillard",
                                             "email": "sophie@example.org", "role": "advisor"})
    body = app.extensions["outbox"][-1].get_content()
    assert "-- \nPôle ESS du Pays de Vitré\n" in body and "contact@pole-vitre.example" in body


def test_the_privacy_notice_shows_the_contact_and_address(client, login):
    login("manager")
    client.post(URL, data=_form())
    html = client.get("/privacy").get_data(as_text=True)
    assert "Pôle ESS du Pays de Vitré" in html and "<br>35500 Vitré" in html
    assert 'href="mailto:contact@pole-vitre.example"' in html


def test_the_printed_report_shows_the_name_and_logo(client, login):
    login("manager")
    client.post(URL, data=_form(logo=(io.BytesIO(_image()), "logo.png")),
                content_type="multipart/form-data")
    html = client.get("/pipeline/report").get_data(as_text=True)
    assert '<p class="report-pole"><img class="report-logo"' in html
    # The territory is not repeated when the name already says it.
    assert "Pôle ESS du Pays de Vitré</p>" in html
    assert "Pôle ESS du Pays de Vitré · Pays de Vitré" not in html


def test_pole_today_follows_the_saved_time_zone(app, client, login):
    login("manager")
    # 23:30 UTC on 31 December: already 1 January in Paris, still 31 December in Montréal.
    instant = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)
    with app.test_request_context():
        assert pole_today(instant).day == 1
    client.post(URL, data=_form(time_zone="America/Montreal"))
    with app.test_request_context():
        forget_current_pole()  # the test's own context read the settings before the save
        assert current_pole().time_zone == "America/Montreal"
        assert pole_today(instant).day == 31


def test_user_text_in_the_settings_is_never_markup(client, login):
    login("manager")
    client.post(URL, data=_form(short_name="<b>X</b>", name="<script>alert(1)</script>",
                                postal_address="<img src=x onerror=alert(1)>"))
    html = client.get("/privacy").get_data(as_text=True)
    assert "<script>alert(1)" not in html and "&lt;script&gt;" in html
    assert "<img src=x" not in html and "<b>X</b>" not in html



def test_an_image_of_too_many_pixels_is_refused_before_it_is_decoded(client, login):
    login("manager")
    out = io.BytesIO()
    Image.new("1", (6000, 5000)).save(out, format="PNG")  # a few kB, 30 million pixels
    response = client.post(URL, data=_form(logo=(io.BytesIO(out.getvalue()), "logo.png")),
                           content_type="multipart/form-data")
    assert response.status_code == 422 and _count(PoleSettings) == 0
    assert "far too large (6000 × 5000 pixels)" in response.get_data(as_text=True)


def test_an_svg_logo_sent_by_htmx_comes_back_in_the_form_fragment(client, login):
    login("manager")
    response = client.post(URL, data=_form(logo=(io.BytesIO(SVG), "logo.png")), htmx=True,
                           content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and html.lstrip().startswith('<div id="pole-settings"')
    assert 'id="logo-error"' in html and "<svg" not in html and _count(PoleSettings) == 0


def test_the_page_speaks_french(client, login):
    login("manager")
    html = client.get(URL, headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "Nom du pôle" in html and "Fuseau horaire" in html and "Enregistrer les réglages" in html


def test_a_saved_zone_unknown_to_the_zone_data_gives_way_to_the_configured_one(app, client,
                                                                               login):
    login("manager")
    client.post(URL, data=_form(time_zone="America/Montreal"))
    db.session.execute(PoleSettings.__table__.update().values(time_zone="Mars/Olympus"))
    db.session.commit()
    response = client.get("/admin/users")
    assert response.status_code == 200
    with app.test_request_context():
        forget_current_pole()
        assert pole_time_zone() == app.config["BABEL_DEFAULT_TIMEZONE"]


def test_the_printed_report_names_a_territory_the_name_does_not_say(client, login):
    login("manager")
    client.post(URL, data=_form(territory="Vitré Communauté"))
    html = client.get("/pipeline/report").get_data(as_text=True)
    assert "Pôle ESS du Pays de Vitré · Vitré Communauté</p>" in html

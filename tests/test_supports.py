"""Supports on a project (issue 11): amounts typed the French way and totals exact to the
cent, status moves allowed and refused, version conflicts, the timeline's events, what
holders and mentors see, who may do what, the board card's granted funding, statement
counts."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from incubator.extensions import db
from incubator.members.services import create_organisation
from incubator.models import (
    SUPPORT_TRANSITIONS,
    Mentorship,
    OrganisationContact,
    Partner,
    ProjectEvent,
    Support,
    SupportStatusChange,
    utcnow,
)
from incubator.numbers import NumberRefused, parse_decimal
from incubator.supports import queries, services

from . import factories
from .helpers import MESSAGE_OOB, count_statements, project_changed

TOKEN = re.compile(r'name="form_token" value="([^"]+)"')
STATUSES = ("envisaged", "requested", "granted", "refused", "paid")


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _partner(name: str = "Région Bretagne", kind: str = "region", **fields) -> Partner:
    partner = Partner(name=name, kind=kind, **fields)
    db.session.add(partner)
    db.session.commit()
    return partner


def _support(project, partner, *, kind="grant", amount_cents=1_500_000, status="requested",
             status_on=date(2025, 3, 1), comment="Dossier déposé", actor=None) -> Support:
    support = services.add_support(actor, project, partner, kind=kind,
                                   amount_cents=amount_cents, status=status,
                                   status_on=status_on, programme="Initiatives ESS",
                                   comment=comment)
    db.session.commit()
    return support


def _add_data(client, project, partner, **overrides) -> dict:
    html = client.get(f"/projects/{project.id}/supports/new").get_data(as_text=True)
    data = {"partner_id": partner.id, "kind": "grant", "amount": "12 500,50 €",
            "status": "requested", "status_on": "2025-03-01", "programme": "Pass Création",
            "comment": "Rendez-vous le 12", "form_token": TOKEN.search(html).group(1)}
    data.update(overrides)
    return data


# Amounts and totals ----------------------------------------------------------------------


@pytest.mark.parametrize("typed, cents", [
    ("12 500,50", 1_250_050), ("12 500,50 €", 1_250_050), ("12500.5", 1_250_050),
    ("1 234,56 €", 123_456), ("0,10", 10), ("0.2", 20), ("100 000 000", 10_000_000_000),
    ("12\u202f500", 1_250_000), ("2.500,50", 250_050)])
def test_amounts_typed_the_french_way_are_read_exactly(app, typed, cents):
    with app.test_request_context():
        assert services.to_cents(parse_decimal(typed, places=2, maximum=100_000_000)) == cents


@pytest.mark.parametrize("typed", ["2,500", "12,5,0", "douze", "1,234", "0,105"])
def test_ambiguous_or_wrong_amounts_are_refused(app, typed):
    with app.test_request_context(), pytest.raises(NumberRefused):
        parse_decimal(typed, places=2, maximum=100_000_000)


def test_totals_per_status_are_exact_to_the_cent(app, team):
    partner = _partner()
    for cents in (10, 20):  # 0,10 + 0,20 = 0,30, never 0.30000000000000004
        _support(team.project, partner, amount_cents=cents, status="granted")
    _support(team.project, partner, amount_cents=123_456, status="requested")
    _support(team.project, partner, kind="premises", amount_cents=None, status="envisaged")
    section = queries.project_supports(team.advisor, team.project)
    assert section.totals == {"envisaged": 0, "requested": 123_456, "granted": 30,
                              "refused": 0, "paid": 0}
    assert section.granted_cents == 30
    with app.test_request_context():
        from incubator.i18n import _money
        assert _money(30) == "0,30\xa0€"


# Status moves -----------------------------------------------------------------------------


@pytest.mark.parametrize("source", STATUSES)
@pytest.mark.parametrize("target", STATUSES)
def test_every_status_move_is_allowed_or_refused_as_the_rules_say(app, team, source, target):
    partner = _partner()
    support = _support(team.project, partner, status=source)
    allowed = target in SUPPORT_TRANSITIONS[source]
    with app.test_request_context():
        if allowed:
            services.move_status(team.advisor, team.project, support, to_status=target,
                                 changed_on=date(2025, 4, 1), amount_cents=1_000_000,
                                 seen_version=support.version)
        else:
            with pytest.raises(services.SupportsError):
                services.move_status(team.advisor, team.project, support, to_status=target,
                                     changed_on=date(2025, 4, 1), amount_cents=1_000_000,
                                     seen_version=support.version)
    db.session.commit()
    support = db.session.get(Support, support.id)
    assert support.status == (target if allowed else source)
    first = 2 if source == "paid" else 1  # recorded paid: granted, then paid
    assert _count(SupportStatusChange, SupportStatusChange.support_id == support.id) == (
        first + 1 if allowed else first)
    assert "paid" not in SUPPORT_TRANSITIONS["envisaged"] | SUPPORT_TRANSITIONS["requested"]
    assert not SUPPORT_TRANSITIONS["paid"]


def _status_url(project, support) -> str:
    return f"/projects/{project.id}/supports/{support.id}/status"


@pytest.mark.parametrize("htmx", [False, True])
def test_granting_a_support_at_a_lower_amount_records_the_step(client, auth, team, htmx):
    auth.login(team.advisor)
    partner = _partner()
    support = _support(team.project, partner)
    response = client.post(_status_url(team.project, support), htmx=htmx, data={
        "to_status": "granted", "changed_on": "2025-05-02", "amount": "12 000",
        "comment": "Commission du 30 avril", "version": support.version})
    if htmx:
        assert response.status_code == 200 and "HX-Request" in response.vary
        html = response.get_data(as_text=True)
        assert f'id="supports-project-{team.project.id}"' in html and MESSAGE_OOB in html
        assert project_changed(response)
        assert "12\u202f000\xa0€" in html or "12,000" in html
    else:
        assert response.status_code == 303
        assert response.headers["Location"].endswith(f"#supports-project-{team.project.id}")
    support = db.session.get(Support, support.id)
    assert (support.status, support.status_on, support.amount_cents, support.version) == (
        "granted", date(2025, 5, 2), 1_200_000, 2)
    change = db.session.scalars(select(SupportStatusChange).where(
        SupportStatusChange.support_id == support.id).order_by(SupportStatusChange.id.desc())
    ).first()
    assert (change.from_status, change.to_status, change.amount_cents, change.comment,
            change.changed_by_id) == ("requested", "granted", 1_200_000,
                                      "Commission du 30 avril", team.advisor.id)
    event = db.session.scalars(select(ProjectEvent).where(
        ProjectEvent.kind == "support_status")).one()
    assert event.partner_id == partner.id and event.detail["amount_cents"] == 1_200_000
    assert event.detail["partner"] == "Région Bretagne" and event.detail["status"] == "granted"


@pytest.mark.parametrize("htmx", [False, True])
def test_paying_before_granting_is_refused_with_a_clear_message(client, auth, team, htmx):
    auth.login(team.advisor)
    support = _support(team.project, _partner())
    response = client.post(_status_url(team.project, support), htmx=htmx, data={
        "to_status": "paid", "changed_on": "2025-05-02", "amount": "15 000",
        "version": support.version})
    assert response.status_code == 422 and "HX-Request" in response.vary
    html = response.get_data(as_text=True)
    assert "paid only once granted" in html
    assert ("<html" in html) != htmx
    assert db.session.get(Support, support.id).status == "requested"


def test_a_paid_support_cannot_move_any_more(client, auth, team):
    auth.login(team.advisor)
    support = _support(team.project, _partner(), status="paid")
    response = client.post(_status_url(team.project, support), data={
        "to_status": "refused", "changed_on": "2025-05-02", "amount": "15 000",
        "version": support.version})
    assert response.status_code == 422
    assert "has been paid" in response.get_data(as_text=True)


@pytest.mark.parametrize("day, message", [
    ("2025-02-28", "The previous status dates from"),
    ((date.today() + timedelta(days=3)).isoformat(), "cannot be in the future")])
def test_a_status_date_before_the_last_change_or_in_the_future_is_refused(
        client, auth, team, day, message):
    auth.login(team.advisor)
    support = _support(team.project, _partner())
    response = client.post(_status_url(team.project, support), htmx=True, data={
        "to_status": "granted", "changed_on": day, "amount": "15 000",
        "version": support.version})
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert db.session.get(Support, support.id).version == 1


@pytest.mark.parametrize("htmx", [False, True])
def test_a_stale_status_move_is_a_conflict_that_keeps_the_input(client, auth, team, htmx):
    auth.login(team.advisor)
    support = _support(team.project, _partner())
    with client.application.test_request_context():
        services.move_status(team.advisor, team.project, support, to_status="refused",
                             changed_on=date(2025, 4, 1), amount_cents=1_500_000,
                             seen_version=1)
    db.session.commit()
    response = client.post(_status_url(team.project, support), htmx=htmx, data={
        "to_status": "requested", "changed_on": "2025-05-02", "amount": "13 333,33",
        "comment": "Relance", "version": 1})
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "Someone changed this support" in html and "13 333,33" in html
    assert 'name="version" value="2"' in html
    assert db.session.get(Support, support.id).status == "refused"


@pytest.mark.parametrize("amount, message", [
    ("-5", "between 0 and 100 million"), ("100 000 000,01", "between 0 and 100 million"),
    ("2,500", "can be read two ways"), ("", "Enter the amount")])
def test_a_status_move_with_a_wrong_amount_is_refused(client, auth, team, amount, message):
    auth.login(team.advisor)
    support = _support(team.project, _partner())
    response = client.post(_status_url(team.project, support), data={
        "to_status": "granted", "changed_on": "2025-05-02", "amount": amount,
        "version": support.version})
    assert response.status_code == 422 and message in response.get_data(as_text=True)


# Adding ------------------------------------------------------------------------------------


@pytest.mark.parametrize("htmx", [False, True])
def test_staff_add_a_support_once_with_its_first_status(client, auth, team, htmx):
    auth.login(team.advisor)
    partner = _partner()
    page = client.get(f"/projects/{team.project.id}/supports/new", htmx=htmx)
    assert page.status_code == 200 and "HX-Request" in page.vary
    data = _add_data(client, team.project, partner)
    response = client.post(f"/projects/{team.project.id}/supports", htmx=htmx, data=data)
    if htmx:
        assert response.status_code == 204 and response.headers["HX-Redirect"].endswith(
            f"#supports-project-{team.project.id}")
    else:
        assert response.status_code == 303
    support = db.session.scalars(select(Support)).one()
    assert (support.partner_id, support.kind, support.amount_cents, support.status,
            support.status_on, support.programme, support.comment, support.created_by_id) == (
        partner.id, "grant", 1_250_050, "requested", date(2025, 3, 1), "Pass Création",
        "Rendez-vous le 12", team.advisor.id)
    change = db.session.scalars(select(SupportStatusChange)).one()
    assert (change.from_status, change.to_status, change.amount_cents) == (
        None, "requested", 1_250_050)
    event = db.session.scalars(select(ProjectEvent).where(
        ProjectEvent.kind == "support_added")).one()
    assert event.partner_id == partner.id and event.detail["partner"] == "Région Bretagne"
    again = client.post(f"/projects/{team.project.id}/supports", htmx=htmx, data=data)
    assert again.status_code == (204 if htmx else 303)
    assert _count(Support) == 1
    page = client.get(f"/projects/{team.project.id}").get_data(as_text=True)
    assert "Région Bretagne" in page and "Rendez-vous le 12" in page
    assert "12\u202f500,5\xa0€" in page or "12,500.50" in page


def test_the_adding_form_proposes_envisaged_today_and_partners_in_french_order(
        client, auth, team):
    auth.login(team.advisor)
    _partner("Zèbre"), _partner("Écluse"), _partner("Archivé", archived_at=utcnow())
    organisation = create_organisation(None, name="Abeille Coop", family="cooperative")
    db.session.add(Partner(organisation_id=organisation.id, kind="other"))
    db.session.commit()
    html = client.get(f"/projects/{team.project.id}/supports/new").get_data(as_text=True)
    assert html.index("Abeille Coop") < html.index("Écluse") < html.index("Région") \
        if "Région" in html else html.index("Abeille Coop") < html.index("Écluse") < \
        html.index("Zèbre")
    assert "Archivé" not in html
    assert 'value="envisaged" selected' in html or '<option selected value="envisaged"' in html


@pytest.mark.parametrize("overrides, message", [
    ({"amount": ""}, "Enter the amount"),
    ({"amount": "-12"}, "between 0 and 100 million"),
    ({"amount": "100 000 001"}, "between 0 and 100 million"),
    ({"amount": "1,500"}, "can be read two ways"),
    ({"amount": "12,345"}, "has too many decimals"),
    ({"amount": "douze"}, "Enter a number"),
    ({"status_on": (date.today() + timedelta(days=3)).isoformat()}, "cannot be in the future"),
    ({"kind": "gift"}, "Choose one of the options offered"),
    ({"partner_id": ""}, "Choose a partner"),
])
def test_a_wrong_support_is_refused_with_its_input_kept(client, auth, team, overrides,
                                                        message):
    auth.login(team.advisor)
    partner = _partner()
    data = _add_data(client, team.project, partner, programme="Appel « Tiers-lieux »",
                     **overrides)
    response = client.post(f"/projects/{team.project.id}/supports", data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html and "Appel « Tiers-lieux »" in html
    assert _count(Support) == 0


def test_premises_need_no_amount(client, auth, team):
    auth.login(team.advisor)
    partner = _partner("Redon Agglomération", "intercommunalite")
    data = _add_data(client, team.project, partner, kind="premises", amount="",
                     status="granted")
    assert client.post(f"/projects/{team.project.id}/supports", data=data).status_code == 303
    assert db.session.scalars(select(Support)).one().amount_cents is None


def test_an_archived_partner_or_another_ones_id_cannot_be_used(client, auth, team):
    auth.login(team.advisor)
    archived = _partner("Ancien", archived_at=utcnow())
    response = client.post(f"/projects/{team.project.id}/supports",
                           data=_add_data(client, team.project, archived))
    assert response.status_code == 422 and _count(Support) == 0
    response = client.post(f"/projects/{team.project.id}/supports",
                           data=_add_data(client, team.project, archived, partner_id=999999))
    assert response.status_code == 422 and _count(Support) == 0


# Changing and deleting ----------------------------------------------------------------------


@pytest.mark.parametrize("htmx", [False, True])
def test_staff_change_a_support_version_checked(client, auth, team, htmx):
    auth.login(team.advisor)
    partner, other = _partner(), _partner("France Active Bretagne", "solidarity_funder")
    support = _support(team.project, partner)
    url = f"/projects/{team.project.id}/supports/{support.id}/edit"
    page = client.get(url, htmx=htmx)
    assert page.status_code == 200 and "Dossier déposé" in page.get_data(as_text=True)
    response = client.post(url, htmx=htmx, data={
        "partner_id": other.id, "kind": "guarantee", "programme": "Garantie France Active",
        "comment": "Banque : Crédit Coopératif", "version": 1})
    assert response.status_code == (204 if htmx else 303)
    support = db.session.get(Support, support.id)
    assert (support.partner_id, support.kind, support.programme, support.version) == (
        other.id, "guarantee", "Garantie France Active", 2)
    event = db.session.scalars(select(ProjectEvent).where(
        ProjectEvent.kind == "support_changed")).one()
    assert event.partner_id == other.id and event.detail["partner"] == "France Active Bretagne"
    stale = client.post(url, htmx=htmx, data={
        "partner_id": partner.id, "kind": "grant", "programme": "Mon programme",
        "comment": "", "version": 1})
    assert stale.status_code == 409
    html = stale.get_data(as_text=True)
    assert "Mon programme" in html and 'name="version" value="2"' in html
    assert db.session.get(Support, support.id).kind == "guarantee"


def test_a_support_without_amount_cannot_become_a_grant(client, auth, team):
    auth.login(team.advisor)
    partner = _partner()
    support = _support(team.project, partner, kind="expertise", amount_cents=None)
    response = client.post(f"/projects/{team.project.id}/supports/{support.id}/edit", data={
        "partner_id": partner.id, "kind": "grant", "programme": "", "comment": "",
        "version": 1})
    assert response.status_code == 422 and "has no amount" in response.get_data(as_text=True)


@pytest.mark.parametrize("htmx", [False, True])
def test_deleting_a_support_keeps_a_line_in_the_projects_history(client, auth, team, htmx):
    auth.login(team.advisor)
    partner = _partner()
    support = _support(team.project, partner)
    url = f"/projects/{team.project.id}/supports/{support.id}/delete"
    assert client.get(url, htmx=htmx).status_code == 200
    stale = client.post(url, htmx=htmx, data={"version": 7})
    assert stale.status_code == 409 and _count(Support) == 1
    response = client.post(url, htmx=htmx, data={"version": 1})
    if htmx:
        assert response.status_code == 200 and project_changed(response)
        assert "No support recorded yet." in response.get_data(as_text=True)
    else:
        assert response.status_code == 303
    assert _count(Support) == 0 and _count(SupportStatusChange) == 0
    event = db.session.scalars(select(ProjectEvent).where(
        ProjectEvent.kind == "support_deleted")).one()
    assert event.partner_id == partner.id
    assert (event.detail["partner"], event.detail["kind"], event.detail["amount_cents"]) == (
        "Région Bretagne", "grant", 1_500_000)
    history = client.get(f"/projects/{team.project.id}/history", htmx=True)
    html = history.get_data(as_text=True)
    assert "Support of Région Bretagne deleted (Grant)" in html and "15,000" in html


# Who sees and does what ----------------------------------------------------------------------


def _mentor_of(project):
    mentor = factories.user(role="mentor")
    organisation = create_organisation(None, name="Coop Bois", family="cooperative",
                                       contacts=({"name": "Anne Briand"},))
    contact = db.session.scalars(select(OrganisationContact)).first()
    contact.user_id = mentor.id
    db.session.add(Mentorship(project_id=project.id, organisation_id=organisation.id,
                              contact_id=contact.id, role="sponsor",
                              started_on=date(2025, 1, 6)))
    db.session.commit()
    return mentor


@pytest.mark.parametrize("who", ["holder", "mentor"])
def test_holders_and_mentors_read_supports_without_comments_nor_authors(
        client, auth, team, who):
    partner = _partner()
    support = _support(team.project, partner, comment="Secret de l’équipe",
                       actor=team.advisor)
    with client.application.test_request_context():
        services.move_status(team.advisor, team.project, support, to_status="granted",
                             changed_on=date(2025, 4, 1), amount_cents=1_234_567,
                             comment="Note interne", seen_version=1)
    db.session.commit()
    user = team.holder if who == "holder" else _mentor_of(team.project)
    auth.login(user)
    html = client.get(f"/projects/{team.project.id}").get_data(as_text=True)
    section = html[html.index(f'id="supports-project-{team.project.id}"'):]
    section = section[:section.index("</section>")]
    assert "Région Bretagne" in section and "Grant" in section and "Granted" in section
    assert "12,345.67" in section or "12\u202f345,67" in section
    assert "Secret de l’équipe" not in section and "Note interne" not in section
    assert "Yann Le Goff" not in section
    assert "Add a support" not in section and "Change the status" not in section
    for url in (f"/projects/{team.project.id}/supports/new",
                f"/projects/{team.project.id}/supports/{support.id}/edit",
                f"/projects/{team.project.id}/supports/{support.id}/delete"):
        assert client.get(url).status_code == 403
    for url, data in ((f"/projects/{team.project.id}/supports", {"kind": "grant"}),
                      (_status_url(team.project, support), {"to_status": "paid"}),
                      (f"/projects/{team.project.id}/supports/{support.id}/delete",
                       {"version": 2})):
        assert client.post(url, data=data).status_code == 403
        assert client.post(url, data=data, htmx=True).status_code == 403
    assert db.session.get(Support, support.id).status == "granted"


def test_staff_see_comments_and_who_changed_a_status(client, auth, team):
    support = _support(team.project, _partner(), comment="Secret de l’équipe",
                       actor=team.advisor)
    auth.login(team.advisor)
    html = client.get(f"/projects/{team.project.id}").get_data(as_text=True)
    section = html[html.index(f'id="supports-project-{team.project.id}"'):]
    assert "Secret de l’équipe" in section and "— Yann Le Goff" in section
    assert f'action="/projects/{team.project.id}/supports/{support.id}/status"' in section


ROUTES = [
    ("GET", "/projects/{p}/supports/new"), ("POST", "/projects/{p}/supports"),
    ("POST", "/projects/{p}/supports/{s}/status"), ("GET", "/projects/{p}/supports/{s}/edit"),
    ("POST", "/projects/{p}/supports/{s}/edit"), ("GET", "/projects/{p}/supports/{s}/delete"),
    ("POST", "/projects/{p}/supports/{s}/delete"),
]


@pytest.mark.parametrize("method, pattern", ROUTES)
@pytest.mark.parametrize("role, expected", [
    ("anonymous", {302, 303}), ("holder", {403}), ("mentor", {403}),
    ("stranger_holder", {404}), ("advisor", {200, 204, 303, 422}),
    ("manager", {200, 204, 303, 422})])
def test_every_support_route_by_role(client, auth, team, method, pattern, role, expected):
    support = _support(team.project, _partner())
    if role == "holder":
        auth.login(team.holder)
    elif role == "mentor":
        auth.login(_mentor_of(team.project))
    elif role in ("stranger_holder", "advisor", "manager"):
        user = factories.user(role="holder" if role == "stranger_holder" else role)
        db.session.commit()
        auth.login(user)
    url = pattern.format(p=team.project.id, s=support.id)
    response = client.open(url, method=method, data={"version": "1"} if method == "POST"
                            else None)
    assert response.status_code in expected, (role, method, url, response.status_code)


def test_another_projects_support_is_not_found(client, auth, team):
    auth.login(team.advisor)
    other = factories.project()
    db.session.commit()
    support = _support(other, _partner())
    for method, pattern in ROUTES[2:]:
        url = pattern.format(p=team.project.id, s=support.id)
        assert client.open(url, method=method, data={"version": "1"}).status_code == 404


# Board and statement counts ------------------------------------------------------------------


def test_the_board_card_shows_the_granted_funding(client, auth, team):
    partner = _partner()
    _support(team.project, partner, status="granted", amount_cents=1_000_000)
    _support(team.project, partner, status="paid", amount_cents=250_050)
    _support(team.project, partner, status="requested", amount_cents=99_900)
    auth.login(team.advisor)
    html = client.get("/board").get_data(as_text=True)
    card = html[html.index(f'id="project-{team.project.id}"'):]
    card = card[:card.index("</li>")]
    assert "€12,500.50 granted" in card or "12,500.50" in card
    french = client.get("/board", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "12\u202f500,50\xa0€ accordés" in french


def test_the_board_costs_the_same_statements_with_many_supports(client, auth, team):
    auth.login(team.advisor)
    partner = _partner()

    def cost() -> int:
        with count_statements() as statements:
            assert client.get("/board").status_code == 200
        return len(statements)

    _support(team.project, partner, status="granted")
    small = cost()
    for _ in range(10):
        project = factories.project(advisor=team.advisor)
        db.session.commit()
        _support(project, partner, status="granted")
        _support(project, partner, status="paid")
    assert cost() == small


def test_the_project_page_costs_the_same_statements_with_many_supports(client, auth, team):
    auth.login(team.advisor)
    partner = _partner()
    organisation = create_organisation(None, name="Abeille Coop", family="cooperative")
    linked = Partner(organisation_id=organisation.id, kind="other")
    db.session.add(linked)
    db.session.commit()

    def cost() -> int:
        with count_statements() as statements:
            assert client.get(f"/projects/{team.project.id}").status_code == 200
        return len(statements)

    _support(team.project, partner, actor=team.advisor)
    small = cost()
    for i in range(10):
        support = _support(team.project, linked if i % 2 else partner, actor=team.advisor)
        with client.application.test_request_context():
            services.move_status(team.advisor, team.project, support, to_status="granted",
                                 changed_on=date(2025, 4, 1), amount_cents=100,
                                 seen_version=1)
        db.session.commit()
    assert cost() == small


def test_staff_get_a_link_to_the_partners_page_once_it_exists(app, client, auth, team):
    partner = _partner()
    _support(team.project, partner)
    if "partners.show" not in app.view_functions:  # the partners part is another engineer's
        app.add_url_rule("/partners/<int:partner_id>", "partners.show",
                         lambda partner_id: "")
    auth.login(team.advisor)
    html = client.get(f"/projects/{team.project.id}").get_data(as_text=True)
    assert f'href="/partners/{partner.id}"' in html
    auth.logout()
    auth.login(team.holder)
    html = client.get(f"/projects/{team.project.id}").get_data(as_text=True)
    assert f'href="/partners/{partner.id}"' not in html and "Région Bretagne" in html


def test_the_section_reads_in_french_with_exact_totals(client, auth, team):
    partner = _partner()
    _support(team.project, partner, amount_cents=123_456, status="requested")
    _support(team.project, partner, amount_cents=10, status="granted")
    _support(team.project, partner, amount_cents=20, status="granted")
    auth.login(team.advisor)
    html = client.get(f"/projects/{team.project.id}",
                      headers={"Accept-Language": "fr"}).get_data(as_text=True)
    totals = html[html.index(f'id="supports-project-{team.project.id}-totals"'):]
    totals = totals[:totals.index("</dl>")]
    assert "<dt>Demandé</dt><dd>1\u202f234,56\xa0€</dd>" in totals
    assert "<dt>Accordé</dt><dd>0,30\xa0€</dd>" in totals
    assert "<dt>Versé</dt><dd>0\xa0€</dd>" in totals
    assert "Subvention" in html and "Soutiens" in html


def test_a_status_move_sent_twice_is_recorded_once(client, auth, team):
    auth.login(team.advisor)
    support = _support(team.project, _partner())
    data = {"to_status": "granted", "changed_on": "2025-05-02", "amount": "15 000",
            "version": 1}
    assert client.post(_status_url(team.project, support), htmx=True,
                       data=data).status_code == 200
    assert client.post(_status_url(team.project, support), htmx=True,
                       data=data).status_code == 409
    assert _count(SupportStatusChange, SupportStatusChange.support_id == support.id) == 2
    assert _count(ProjectEvent, ProjectEvent.kind == "support_status") == 1


def test_a_refused_support_reads_refuse_in_french_not_the_imports_plural(client, auth, team):
    # "Refused" alone is the imports' column, « Refusées »: a support is « Refusé ».
    _support(team.project, _partner(), status="refused")
    auth.login(team.advisor)
    html = client.get(f"/projects/{team.project.id}",
                      headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "<dt>Refusé</dt>" in html
    assert "support-refused\">Refusé</span>" in html
    assert "Refusées" not in html


def test_an_amount_with_three_decimals_is_never_proposed_rounded(client, auth, team):
    # "12,345" is 12 345 € or a typing mistake: never "12,34 for a decimal number".
    auth.login(team.advisor)
    data = _add_data(client, team.project, _partner(), amount="12,345")
    response = client.post(f"/projects/{team.project.id}/supports", data=data,
                           headers={"Accept-Language": "fr"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert ("a trop de décimales\u202f: écrivez 12345 ou 12\u202f345 pour des milliers, "
            "ou au plus 2 décimales.") in html
    assert "12,34 " not in html and "12,35" not in html
    assert _count(Support) == 0


def test_a_support_recorded_paid_keeps_its_grant_so_the_partner_counts_it(client, auth, team):
    # Paid only once granted: a support entered as paid was granted, the same day.
    from incubator.partners.queries import support_totals
    auth.login(team.advisor)
    partner = _partner()
    data = _add_data(client, team.project, partner, status="paid", amount="8 000",
                     status_on="2025-05-05")
    assert client.post(f"/projects/{team.project.id}/supports", data=data).status_code == 303
    support = db.session.scalars(select(Support)).one()
    changes = db.session.scalars(select(SupportStatusChange).where(
        SupportStatusChange.support_id == support.id).order_by(SupportStatusChange.id)).all()
    assert [(c.from_status, c.to_status, c.changed_on, c.amount_cents) for c in changes] == [
        (None, "granted", date(2025, 5, 5), 800_000),
        ("granted", "paid", date(2025, 5, 5), 800_000)]
    (grant,) = support_totals(partner.id)
    assert [(y.year, y["granted"], y["paid"]) for y in grant.years] == [(2025, 800_000, 800_000)]
    assert _count(ProjectEvent, ProjectEvent.kind == "support_added") == 1

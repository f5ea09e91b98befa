"""Accounts: registration, login, logout, throttling, redirects, password links, hashing."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select, update

from incubator import config as settings
from incubator.extensions import db
from incubator.models import PasswordToken, User, utcnow
from incubator.passwords import hash_password, is_common
from incubator.tokens import make_password_token

from . import factories

GOOD = {
    "name": "Maëlle Guillou",
    "email": "Maelle.Guillou@Exemple.fr ",
    "password": "trois pommes sur la table",
    "confirm": "trois pommes sur la table",
    "consent": "y",
}


def _users() -> int:
    return db.session.scalar(select(func.count()).select_from(User))


def test_registration_creates_a_holder_and_logs_them_in(client):
    response = client.post("/auth/register", data=GOOD)
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/projects/new")
    user = db.session.scalar(select(User))
    assert user.email == "maelle.guillou@exemple.fr"
    assert user.role == "holder"
    assert user.privacy_accepted_at is not None
    assert user.password_hash.startswith("$argon2id$")
    assert "trois pommes" not in user.password_hash
    assert client.get("/projects/mine").status_code == 200


def test_registration_with_a_taken_email_says_so_and_creates_nothing(client):
    factories.user(email="maelle.guillou@exemple.fr")
    db.session.commit()
    response = client.post("/auth/register", data=GOOD)
    assert response.status_code == 422
    assert "An account already exists with this e-mail address." in response.get_data(
        as_text=True
    )
    assert _users() == 1


@pytest.mark.parametrize(
    "password",
    ["court", "motdepasse123", "password1234", "azertyuiopqsdf", "aaaaaaaaaaaaaaaa",
     "1234567890123"],
)
def test_registration_refuses_short_and_common_passwords(client, password):
    data = dict(GOOD, password=password, confirm=password)
    response = client.post("/auth/register", data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'aria-invalid="true"' in html
    assert 'value="Maëlle Guillou"' in html  # what was typed is kept…
    assert password not in html  # …but never the password
    assert _users() == 0


def test_password_policy_has_no_composition_rules():
    assert not is_common("les grandes marées de printemps")
    assert not is_common("correcthorsebatterystaple-redon")
    assert is_common("Password123!")
    assert is_common("qwertyuiop12")


def test_registration_needs_consent_and_matching_passwords(client):
    response = client.post("/auth/register", data=dict(GOOD, consent=""))
    assert response.status_code == 422
    response = client.post("/auth/register", data=dict(GOOD, confirm="autre chose encore"))
    assert response.status_code == 422
    assert _users() == 0


def test_login_and_logout(client, auth):
    user = factories.user(role="holder")
    db.session.commit()
    response = auth.login(user)
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/projects/mine")
    assert db.session.get(User, user.id).last_login_at is not None
    response = auth.logout()
    assert response.status_code == 303
    assert client.get("/projects/mine").status_code == 302


def test_logout_is_a_post_with_csrf(client, login):
    login("holder")
    assert client.get("/auth/logout").status_code == 405
    assert client.post("/auth/logout", csrf=False).status_code == 400
    assert client.get("/projects/mine").status_code == 200


def test_login_failures_get_one_generic_message(client, auth):
    user = factories.user(role="holder")
    factories.user(role="holder", email="off@example.org", active=False)
    db.session.commit()
    answers = [
        auth.login(user, "not the right password"),
        auth.login("nobody@example.org"),
        auth.login("off@example.org"),
    ]
    for response in answers:
        assert response.status_code == 401
        assert "E-mail address or password incorrect." in response.get_data(as_text=True)


def test_remember_me_is_off_by_default(client, auth):
    user = factories.user()
    db.session.commit()
    html = client.get("/auth/login").get_data(as_text=True)
    assert 'name="remember"' in html and "checked" not in html
    response = auth.login(user)
    assert "remember_token" not in " ".join(response.headers.getlist("Set-Cookie"))


def test_repeated_login_failures_are_throttled(client, auth):
    user = factories.user()
    db.session.commit()
    statuses = [auth.login(user, f"wrong password {i}").status_code for i in range(6)]
    assert statuses[:5] == [401] * 5
    assert statuses[5] == 429
    # Even the right password waits now.
    response = auth.login(user)
    assert response.status_code == 429
    assert "Retry-After" in response.headers


def test_throttling_counts_only_failures(client, auth):
    user = factories.user()
    db.session.commit()
    for _ in range(7):
        assert auth.login(user).status_code == 303
        auth.logout()


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)",
     "http:/evil.example", " //evil.example", "/\t/evil.example"],
)
def test_next_never_leaves_the_site(client, auth, target):
    user = factories.user(role="holder")
    db.session.commit()
    response = client.post("/auth/login", data={
        "email": user.email, "password": factories.PASSWORD, "next": target,
    })
    assert response.status_code == 303
    assert response.headers["Location"] == "/projects/mine"


def test_next_inside_the_site_is_followed(client):
    user = factories.user(role="holder")
    project = factories.project(holders=[user])
    db.session.commit()
    response = client.get(f"/projects/{project.id}")
    assert response.status_code == 302
    login_url = response.headers["Location"]
    assert "next=" in login_url
    html = client.get(login_url).get_data(as_text=True)
    assert f'value="/projects/{project.id}"' in html
    response = client.post("/auth/login", data={
        "email": user.email, "password": factories.PASSWORD, "next": f"/projects/{project.id}",
    })
    assert response.headers["Location"] == f"/projects/{project.id}"


@pytest.mark.parametrize(
    ("role", "home"),
    [("holder", "/projects/mine"), ("mentor", "/my-mentorships"), ("advisor", "/board"),
     ("manager", "/board")],
)
def test_each_role_lands_on_its_home(client, auth, role, home):
    user = factories.user(role=role)
    db.session.commit()
    assert auth.login(user).headers["Location"] == home
    assert client.get("/").headers["Location"] == home


def test_staff_pages_are_closed_to_holders_and_mentors(client, login):
    login("holder")
    assert client.get("/board").status_code == 403
    assert client.get("/admin/users").status_code == 403


def test_deactivated_account_loses_its_session(client, login):
    user = login("advisor")
    assert client.get("/board").status_code == 200
    db.session.get(User, user.id).active = False
    db.session.commit()
    assert client.get("/board").status_code == 302


def test_password_reset_sends_a_single_use_link(app, client, auth):
    user = factories.user()
    db.session.commit()
    response = client.post("/auth/reset", data={"email": user.email})
    assert response.status_code == 303
    outbox = app.extensions["outbox"]
    assert len(outbox) == 1 and outbox[0]["To"] == user.email
    link = re.search(r"http://localhost(/auth/password/\S+)", outbox[0].get_content()).group(1)
    new = "une autre phrase bien longue"
    response = client.post(link, data={"password": new, "confirm": new})
    assert response.status_code == 303
    auth.logout()
    assert auth.login(user, new).status_code == 303
    auth.logout()
    # The link worked once; now it is spent.
    response = client.post(link, data={"password": "encore une autre phrase", "confirm":
                                       "encore une autre phrase"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/auth/reset")


def test_password_reset_does_not_reveal_whether_an_account_exists(app, client):
    response = client.post("/auth/reset", data={"email": "nobody@example.org"})
    assert response.status_code == 303
    assert app.extensions.get("outbox", []) == []


def test_forged_or_expired_links_are_refused(app, client):
    user = factories.user()
    db.session.commit()
    assert client.get("/auth/password/not-a-token").status_code == 303
    token = make_password_token(user, "reset")
    db.session.commit()
    assert client.get(f"/auth/password/{token}").status_code == 200
    db.session.execute(update(PasswordToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert client.get(f"/auth/password/{token}").status_code == 303


def test_passwords_are_hashed_with_explicit_argon2id_parameters(app, tmp_path):
    production = settings.from_environment(tmp_path, with_secret_key=False)
    # OWASP's Password Storage Cheat Sheet: five settings of "an equal level of defense",
    # the memory (KiB) each number of passes needs; 1 lane.
    owasp = {1: 47104, 2: 19456, 3: 12288, 4: 9216, 5: 7168}
    passes = production["ARGON2_TIME_COST"]
    assert passes >= 1
    assert production["ARGON2_MEMORY_COST"] >= owasp[min(passes, 5)]
    assert production["ARGON2_PARALLELISM"] >= 1
    hashed = hash_password("une phrase de passe")
    assert hashed.startswith("$argon2id$")
    assert f"m={app.config['ARGON2_MEMORY_COST']}," in hashed


def test_old_hashes_are_upgraded_at_login(app, client, auth):
    user = factories.user()
    weak = PasswordHasher(time_cost=1, memory_cost=512, parallelism=1)
    user.password_hash = weak.hash(factories.PASSWORD)
    db.session.commit()
    assert auth.login(user).status_code == 303
    assert "m=1024" in db.session.get(User, user.id).password_hash


def test_create_user_command(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-user", "direction@example.org", "--role", "manager",
                                 "--name", "Claire Rouxel", "--password",
                                 "la direction du pole"])
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.email == "direction@example.org"))
    assert user.role == "manager" and user.name == "Claire Rouxel"
    again = runner.invoke(args=["create-user", "direction@example.org", "--role", "manager",
                                "--password", "la direction du pole"])
    assert again.exit_code != 0 and "already exists" in again.output
    weak = runner.invoke(args=["create-user", "x@example.org", "--role", "advisor",
                               "--password", "short"])
    assert weak.exit_code != 0


def test_create_user_command_asks_for_the_password(app):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["create-user", "yann@example.org", "--role", "advisor"],
        input="un conseiller du pays\nun conseiller du pays\n",
    )
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(User).where(User.email == "yann@example.org")) is not None


def test_bidi_controls_typed_into_a_name_are_dropped_and_the_text_kept(client):
    """An RTL override in a name would reverse every sentence quoting it (a confirmation
    "Retirer … des porteur·ses ?" read backwards): the shared ``strip`` filter drops the
    explicit bidi controls, and right-to-left letters stay."""
    name = "\u202eMaëlle \u2067سلمى\u2069 Guillou\u202c"
    response = client.post("/auth/register", data=dict(GOOD, name=name))
    assert response.status_code == 303
    assert db.session.scalar(select(User)).name == "Maëlle سلمى Guillou"



def test_the_shared_strip_filter_drops_every_explicit_bidi_control():
    from incubator.forms import strip

    controls = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
    assert strip(f" a{controls}b\u200f ") == "ab\u200f"

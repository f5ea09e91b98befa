"""Two app instances behind nginx, on one database and one Redis (issue 15, "Several
instances"; deploy/nginx/incubator.conf, gunicorn.conf.py).

Started once for the module: two gunicorn instances (one worker each, different ports, the
repository's gunicorn.conf.py: production rules, JSON logs, a control socket each), nginx
with the deploy/ site file (ports and paths replaced, plain HTTP), Redis for the limits, and
the database of the run: a fresh PostgreSQL database beside INCUBATOR_TEST_DATABASE_URL on the
PostgreSQL phase, a shared SQLite file otherwise. Requests are pinned to instance A or B by
sending them to its port; through nginx each answer says which instance (``X-Worker-Pid``)
answered.

Skipped with the reason when nginx or Redis is missing, unless INCUBATOR_REQUIRE_NGINX=1
(CI: ``.ci/run`` installs nginx; Redis is required by INCUBATOR_REQUIRE_REDIS=1).
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text

from .conftest import TEST_DATABASE_URL, is_postgres

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = "redis://127.0.0.1:6379/15"
LOGIN_BUDGET = 4  # failed logins per client address, for both instances together
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx")
                                  else None)


def _required(problem: str) -> None:
    """Fail in CI (INCUBATOR_REQUIRE_NGINX=1, or INCUBATOR_REQUIRE_REDIS=1 for Redis),
    skip elsewhere."""
    required = os.environ.get("INCUBATOR_REQUIRE_NGINX") == "1" or (
        "Redis" in problem and os.environ.get("INCUBATOR_REQUIRE_REDIS") == "1")
    if required:
        pytest.fail(f"required, but {problem}")
    pytest.skip(problem)


def _missing() -> str | None:
    if NGINX is None:
        return "nginx is not installed (apt-get install nginx-light)"
    try:
        import redis

        client = redis.Redis.from_url(REDIS_URL, socket_timeout=1, socket_connect_timeout=1)
        client.ping()
        client.close()
    except Exception as error:  # noqa: BLE001  (any reason Redis is not there)
        return f"no Redis at {REDIS_URL} ({error}); apt-get install redis-server"
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode()

    @property
    def pid(self) -> str | None:
        return self.headers.get("X-Worker-Pid")


class Browser:
    """Cookies and the CSRF token, over plain HTTP to any port (cookies ignore ports)."""

    def __init__(self):
        self.cookies: dict[str, str] = {}
        self.csrf: str | None = None

    def request(self, port: int, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> Answer:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
        sent = {"Host": f"127.0.0.1:{port}", **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if self.csrf and method == "POST":
            sent["X-CSRFToken"] = self.csrf
        connection.request(method, path, body=body, headers=sent)
        response = connection.getresponse()
        answer = Answer(response.status, response.msg, response.read())
        connection.close()
        for cookie in response.msg.get_all("Set-Cookie") or []:
            name, _, value = cookie.split(";")[0].partition("=")
            if value and "Max-Age=0" not in cookie and "expires=Thu, 01 Jan 1970" not in cookie:
                self.cookies[name] = value
            else:
                self.cookies.pop(name, None)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"|'
                          r'"X-CSRFToken": "([^"]+)"', answer.text) \
            if answer.headers.get_content_type() == "text/html" else None
        if token:
            self.csrf = token.group(1) or token.group(2)
        return answer

    def get(self, port: int, path: str, **headers: str) -> Answer:
        return self.request(port, "GET", path, headers=headers)

    def post(self, port: int, path: str, data: dict[str, str]) -> Answer:
        from urllib.parse import urlencode

        return self.request(port, "POST", path, urlencode(data).encode(),
                            {"Content-Type": "application/x-www-form-urlencoded"})

    def upload(self, port: int, path: str, field: str, name: str, content: bytes) -> Answer:
        boundary = uuid.uuid4().hex
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; "
                f"filename=\"{name}\"\r\nContent-Type: application/pdf\r\n\r\n").encode() \
            + content + f"\r\n--{boundary}--\r\n".encode()
        return self.request(port, "POST", path, body,
                            {"Content-Type": f"multipart/form-data; boundary={boundary}"})

    def login(self, port: int, email: str, password: str) -> Answer:
        assert self.get(port, "/auth/login").status == 200
        return self.post(port, "/auth/login", {"email": email, "password": password})


@dataclass
class Site:
    a: int  # instance A's port
    b: int  # instance B's port
    nginx: int
    pids: dict[int, str]  # port -> its worker's pid
    seed: dict
    folder: Path

    def instance(self, answer: Answer) -> str:
        return {pid: name for name, pid in (("A", self.pids[self.a]),
                                            ("B", self.pids[self.b]))}[answer.pid]


def _database(folder: Path) -> tuple[str, callable]:
    """The instances' database URL and how to drop it afterwards."""
    if not is_postgres():
        return f"sqlite:///{folder / 'shared.sqlite3'}", lambda: None
    given = make_url(TEST_DATABASE_URL)
    name = f"{given.database}_instances"
    admin = create_engine(given.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return given.set(database=name).render_as_string(hide_password=False), drop


def nginx_site(a: int, b: int, port: int, folder: Path) -> str:
    """deploy/nginx/incubator.conf for the test: the two instances' ports, plain HTTP on
    ``port`` (no certificate here), the checkout's static folder, logs in ``folder``."""
    site = (ROOT / "deploy" / "nginx" / "incubator.conf").read_text()
    site = site.replace("server 127.0.0.1:8001", f"server 127.0.0.1:{a}")
    site = site.replace("server 127.0.0.1:8002", f"server 127.0.0.1:{b}")
    site = re.sub(r"# Plain HTTP.*?\n}\n", "", site, flags=re.S)  # the redirect to HTTPS
    site = site.replace("listen 443 ssl http2;", f"listen 127.0.0.1:{port};")
    site = re.sub(r"\n\s*listen \[::\]:443[^\n]*", "", site)
    site = re.sub(r"\n\s*ssl_[^\n]*", "", site)
    site = site.replace("/srv/incubateur/static/", f"{ROOT / 'static'}/")
    site = site.replace("/var/log/nginx/incubator.access.log", str(folder / "access.log"))
    assert "8001" not in site and "/srv/" not in site and "ssl_certificate" not in site
    return site


def nginx_main(folder: Path) -> str:
    user = "user root;\n" if os.geteuid() == 0 else ""  # workers read the checkout's files
    temp = "\n".join(f"    {kind}_temp_path {folder / kind};"
                     for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    return (f"{user}daemon off;\nworker_processes 1;\npid {folder / 'nginx.pid'};\n"
            f"error_log {folder / 'error.log'} warn;\nevents {{ worker_connections 128; }}\n"
            f"http {{\n    include /etc/nginx/mime.types;\n"
            f"    default_type application/octet-stream;\n{temp}\n"
            f"    include {folder / 'site.conf'};\n}}\n")


def _wait(port: int, process: subprocess.Popen, log: Path, path: str = "/auth/login") -> None:
    deadline = time.monotonic() + 30
    while True:
        if process.poll() is not None:
            raise RuntimeError(log.read_text()[-3000:])
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        try:
            connection.request("GET", path, headers={"Host": "127.0.0.1"})
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        finally:
            connection.close()
        if time.monotonic() > deadline:
            raise RuntimeError(f"port {port} not ready: {log.read_text()[-3000:]}")
        time.sleep(0.1)


def _stop(process: subprocess.Popen) -> None:
    """Wait for a process sent SIGTERM; kill it after 10 s."""
    if process.poll() is None:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    problem = _missing()
    if problem:
        _required(problem)
    folder = tmp_path_factory.mktemp("instances")
    folder.chmod(0o755)
    database, drop_database = _database(folder)
    a, b, port = _free_port(), _free_port(), _free_port()
    prefix = f"incubator-instances-{uuid.uuid4().hex}"
    env = {name: value for name, value in os.environ.items()
           if not name.startswith("INCUBATOR_")}
    env.update({
        "INCUBATOR_INSTANCE_PATH": str(folder / "instance"),
        "INCUBATOR_DATABASE_URL": database,
        "INCUBATOR_SECRET_KEY": uuid.uuid4().hex,
        "INCUBATOR_BASE_URL": f"http://127.0.0.1:{port}",
        "INCUBATOR_ALLOW_HTTP": "1",  # plain HTTP on the loopback
        "INCUBATOR_PROXY_FIX": "1",
        "INCUBATOR_RATELIMIT_STORAGE_URI": REDIS_URL,
        "INCUBATOR_RATELIMIT_KEY_PREFIX": prefix,
        "INCUBATOR_LOGIN_LIMIT_PER_IP": f"{LOGIN_BUDGET} per hour",
        "INCUBATOR_TWO_FACTOR_REQUIRED_ROLES": "",
        "INCUBATOR_ARGON2_TIME_COST": "1",
        "INCUBATOR_ARGON2_MEMORY_COST": "1024",
        "INCUBATOR_ARGON2_PARALLELISM": "1",
        "XDG_RUNTIME_DIR": str(folder),  # where each instance's control socket goes
    })
    processes: list[subprocess.Popen] = []
    try:
        gunicorn = Path(sys.executable).with_name("gunicorn")
        for name, instance_port in (("a", a), ("b", b)):
            with (folder / f"{name}.log").open("wb") as log:
                processes.append(subprocess.Popen(
                    [str(gunicorn), "--workers", "1", "--bind", f"127.0.0.1:{instance_port}",
                     "tests.gunicorn_app:app"],
                    cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log))
        (folder / "site.conf").write_text(nginx_site(a, b, port, folder))
        (folder / "nginx.conf").write_text(nginx_main(folder))
        nginx_log = folder / "nginx.out"
        with nginx_log.open("wb") as log:
            processes.append(subprocess.Popen(
                [NGINX, "-p", str(folder), "-c", str(folder / "nginx.conf"), "-e",
                 str(folder / "error.log")],
                stdout=subprocess.DEVNULL, stderr=log))
        # While the instances boot (they open no connection before a request): the schema
        # and the data the tests need.
        seeded = subprocess.run([sys.executable, "-m", "tests.instances_seed"], cwd=ROOT,
                                env=env, capture_output=True, text=True, timeout=120,
                                check=False)
        assert seeded.returncode == 0, seeded.stderr[-3000:]
        seed = json.loads(seeded.stdout.strip().splitlines()[-1])
        for instance_port, process, log in ((a, processes[0], folder / "a.log"),
                                            (b, processes[1], folder / "b.log")):
            _wait(instance_port, process, log)
        _wait(port, processes[2], nginx_log)
        pids = {p: Browser().get(p, "/auth/login").pid for p in (a, b)}
        assert pids[a] != pids[b]
        yield Site(a, b, port, pids, seed, folder)
    finally:
        for process in processes:  # all at once, then wait for each
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            _stop(process)
        drop_database()
        import redis

        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(f"*{prefix}*"):
            client.delete(key)
        client.close()


def test_the_production_site_file_is_valid_nginx_with_its_https_block(tmp_path):
    """deploy/nginx/incubator.conf as shipped (HTTP redirect, HTTPS, upstream), with a
    throw-away certificate and log path: ``nginx -t`` accepts it."""
    if NGINX is None:
        _required("nginx is not installed (apt-get install nginx-light)")
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is not installed: no certificate to test the HTTPS block with")
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=incubateur.example.org", "-keyout", str(tmp_path / "key.pem"),
                    "-out", str(tmp_path / "cert.pem")], check=True, capture_output=True,
                   timeout=60)
    site = (ROOT / "deploy" / "nginx" / "incubator.conf").read_text()
    site = site.replace("/etc/letsencrypt/live/incubateur.example.org/fullchain.pem",
                        str(tmp_path / "cert.pem"))
    site = site.replace("/etc/letsencrypt/live/incubateur.example.org/privkey.pem",
                        str(tmp_path / "key.pem"))
    site = site.replace("/var/log/nginx/incubator.access.log", str(tmp_path / "access.log"))
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(nginx_main(tmp_path))
    checked = subprocess.run([NGINX, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"),
                              "-e", str(tmp_path / "error.log")],
                             capture_output=True, text=True, timeout=60, check=False)
    assert checked.returncode == 0, checked.stderr
    assert "test is successful" in checked.stderr


def test_nginx_spreads_requests_over_both_instances_and_passes_its_request_id(site):
    browser = Browser()
    answers = [browser.get(site.nginx, "/auth/login") for _ in range(4)]
    assert [a.status for a in answers] == [200] * 4
    assert {site.instance(a) for a in answers} == {"A", "B"}
    # The id nginx made ($request_id) is the app's: in its answer and its JSON log lines.
    rid = answers[0].headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", rid)
    log = (site.folder / ("a.log" if site.instance(answers[0]) == "A" else "b.log")).read_text()
    [line] = [json.loads(text) for text in log.splitlines()
              if text.startswith("{") and rid in text]
    assert line["logger"] == "incubator.access" and line["status"] == 200


def test_each_instance_has_its_own_control_socket(site):
    sockets = sorted(p.name for p in site.folder.glob("*.ctl"))
    assert sockets == sorted([f"incubator-127.0.0.1_{site.a}.ctl",
                              f"incubator-127.0.0.1_{site.b}.ctl"])


def test_nginx_serves_static_files_itself_with_their_cache_rules(site):
    browser = Browser()
    vendor = browser.get(site.nginx, "/static/vendor/htmx-2.0.11.min.js")
    assert vendor.status == 200 and vendor.pid is None  # no instance answered
    assert vendor.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert vendor.body == (ROOT / "static/vendor/htmx-2.0.11.min.js").read_bytes()
    # The app's own files: versioned URLs in the pages (kept a year), plain ones revalidated.
    page = browser.get(site.nginx, "/auth/login").text
    versioned = re.search(r'href="(/static/css/app\.css\?v=[0-9a-f]{12})"', page).group(1)
    own = browser.get(site.nginx, versioned)
    assert own.status == 200 and own.pid is None
    assert own.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert own.body == (ROOT / "static/css/app.css").read_bytes()
    plain = browser.get(site.nginx, "/static/css/app.css")
    assert plain.headers["Cache-Control"] == "public, no-cache" and plain.headers["ETag"]
    again = browser.get(site.nginx, "/static/css/app.css",
                        **{"If-None-Match": plain.headers["ETag"]})
    assert again.status == 304


def test_a_session_ended_on_one_instance_is_refused_by_the_other(site):
    browser = Browser()
    assert browser.login(site.a, site.seed["email"], site.seed["password"]).status == 303
    assert browser.get(site.b, "/board").status == 200  # one session for both
    assert browser.post(site.a, "/auth/logout", {}).status == 303
    refused = browser.get(site.b, "/board")
    assert refused.status in (302, 303) and "/auth/login" in refused.headers["Location"]


def test_a_move_on_one_instance_shows_in_the_board_poll_of_the_other(site):
    browser = Browser()
    seed = site.seed
    assert browser.login(site.b, seed["email"], seed["password"]).status == 303
    board = browser.get(site.b, "/board")
    token = re.search(r'id="board-token" name="token" value="([^"]*)"', board.text).group(1)
    poll = f"/board/changes?token={token}"
    assert browser.get(site.b, poll, **{"HX-Request": "true"}).status == 204
    moved = browser.post(site.a, f"/projects/{seed['project_id']}/move", {
        "stage_id": str(seed["next_stage_id"]), "version": str(seed["version"]),
        "position": "", "comment": ""})
    assert moved.status == 303, moved.text[:2000]
    changes = browser.get(site.b, poll, **{"HX-Request": "true"})
    assert changes.status == 200
    assert "Recyclerie du Pays de Redon" in changes.text
    assert f'id="project-{seed["project_id"]}"' in changes.text


def test_a_document_uploaded_on_one_instance_is_downloaded_from_the_other(site):
    browser = Browser()
    seed = site.seed
    assert browser.login(site.a, seed["email"], seed["password"]).status == 303
    assert browser.get(site.a, f"/projects/{seed['project_id']}").status == 200  # its token
    content = b"%PDF-1.4\n" + os.urandom(50_000) + b"\n%%EOF\n"
    uploaded = browser.upload(site.a, f"/projects/{seed['project_id']}/documents",
                              "document-file", "statuts.pdf", content)
    assert uploaded.status == 303, uploaded.text[:2000]
    page = browser.get(site.b, f"/projects/{seed['project_id']}")
    [path] = set(re.findall(rf"/projects/{seed['project_id']}/documents/\d+(?=\")", page.text))
    for port in (site.b, site.nginx):
        download = browser.get(port, path)
        assert download.status == 200 and download.body == content


def test_failed_logins_on_both_instances_add_up_to_one_limit(site):
    """Last in the module: after it, this client address may not log in for an hour."""
    browser = Browser()
    answers = []
    browser.get(site.nginx, "/auth/login")
    for i in range(LOGIN_BUDGET + 1):  # nginx takes turns: A, B, A, B…
        answers.append(browser.post(site.nginx, "/auth/login", {
            "email": f"nobody{i}@example.org", "password": "not the right password"}))
    assert [a.status for a in answers] == [401] * LOGIN_BUDGET + [429]
    assert {site.instance(a) for a in answers[:LOGIN_BUDGET]} == {"A", "B"}
    # Pinned to each instance: both refuse now.
    for port in (site.a, site.b):
        browser.get(port, "/auth/login")
        assert browser.post(port, "/auth/login", {
            "email": "nobody@example.org", "password": "wrong"}).status == 429

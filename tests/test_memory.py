"""What a worker imports to serve the everyday pages (issue 15: peak memory per worker).

Every gunicorn worker holds every module the app imports, shared or not, in its resident set.
Libraries that a single feature needs (Flask-Migrate and Alembic for ``flask db``, Pillow for
the pole's logo, icalendar for a group's calendar, charset_normalizer for uploaded text files,
python-stdnum for SIRET checks, segno for the two-factor QR code) are imported where they are
used; together they were ~10 MiB of each worker's ~100 MiB (docs/performance.md). These tests
keep them out of a process that created the app and served a login and the board.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Top-level packages a worker must not have imported after the everyday requests.
LAZY = ("alembic", "flask_migrate", "mako", "pygments", "PIL", "icalendar",
        "charset_normalizer", "stdnum", "segno")

# Run in a fresh interpreter: this test process has imported everything the suite uses.
SCRIPT = """
import json, sys
from incubator import config as settings
from incubator import create_app
from incubator.extensions import db
from incubator.models import Role, User
from incubator.passwords import hash_password
from incubator.reference import seed_reference_data

config = settings.for_tests(sys.argv[1])
config["WTF_CSRF_ENABLED"] = False
app = create_app(config)
with app.app_context():
    db.create_all()
    seed_reference_data(db.session)
    db.session.add(User(email="advisor@example.org", name="Anne Le Goff",
                        role=Role.ADVISOR.value, password_hash=hash_password("a long pass phrase")))
    db.session.commit()
client = app.test_client()
answers = [client.get("/auth/login").status_code,
           client.post("/auth/login", data={"email": "advisor@example.org",
                                            "password": "a long pass phrase"}).status_code,
           client.get("/board").status_code]
print(json.dumps({"answers": answers, "modules": sorted(sys.modules)}))
"""


def test_serving_a_login_and_the_board_imports_no_single_feature_library(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, f"sqlite:///{tmp_path / 'memory.db'}"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["answers"] == [200, 303, 200]
    imported = {name.split(".")[0] for name in report["modules"]}
    assert sorted(imported.intersection(LAZY)) == []

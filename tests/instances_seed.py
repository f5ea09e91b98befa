"""Gives the empty database of tests/test_instances.py its schema, an advisor and a
project; prints what the test needs as one JSON object. Run with the instances' environment:
``python -m tests.instances_seed``."""

from __future__ import annotations

import json

from flask import current_app
from flask_migrate import stamp

from incubator import create_app
from incubator.extensions import db
from incubator.reference import seed_reference_data

from . import factories


def main() -> None:
    app = create_app()
    with app.app_context():
        # The models' schema and the head's stamp, as the test fixtures build it (running
        # every migration would take seconds; tests/test_migrations.py checks they agree).
        db.create_all()
        stamp(directory=current_app.extensions["migrate"].directory)
        seed_reference_data(db.session)
        advisor = factories.user("advisor")
        project = factories.project(advisor=advisor, title="Recyclerie du Pays de Redon")
        db.session.commit()
        stages = factories.stages()
        print(json.dumps({"email": advisor.email, "password": factories.PASSWORD,
                          "project_id": project.id, "version": project.version,
                          "stage_id": project.stage_id,
                          "next_stage_id": stages[1].id}))


if __name__ == "__main__":
    main()

"""Documents in Chromium: a holder uploads a PDF on their project page (htmx, multipart),
sees it listed, and downloads exactly the bytes they sent."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect
from sqlalchemy import select

from incubator.extensions import db
from incubator.models import Document

from .. import factories
from .conftest import AXE, log_in

PDF = (b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
       b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
       b"trailer << /Root 1 0 R >>\n%%EOF\n")




def test_a_holder_uploads_a_pdf_sees_it_listed_and_downloads_the_same_bytes(
        page: Page, live_server, live_app, tmp_path: Path):
    with live_app.app_context():
        holder = factories.user(email="anne@example.org", name="Anne Briand")
        advisor = factories.user(role="advisor", name="Yann Le Goff")
        project_id = factories.project(title="Épicerie vrac", holders=[holder],
                                       advisor=advisor).id
        db.session.commit()

    log_in(page, live_server, "anne@example.org", lands_on=r"/projects/mine$")
    page.goto(f"{live_server}/projects/{project_id}")
    form = page.locator(f"#document-form-project-{project_id}")
    form.locator("#document-file").set_input_files(
        {"name": "Plan de financement.pdf", "mimeType": "application/pdf", "buffer": PDF})
    form.locator("button[type=submit]").click()

    listing = page.locator(f"#document-list-project-{project_id}")
    link = listing.locator(".document-name")
    expect(link).to_have_text("Plan de financement.pdf")
    expect(page.locator("#messages")).to_contain_text("Plan de financement.pdf")
    # The form came back empty, ready for another file, without leaving the page.
    expect(page).to_have_url(re.compile(rf"/projects/{project_id}$"))
    assert page.locator("#document-file").input_value() == ""

    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.suggested_filename == "Plan de financement.pdf"
    saved = tmp_path / "downloaded.pdf"
    download.save_as(saved)
    assert saved.read_bytes() == PDF

    with live_app.app_context():
        [row] = db.session.scalars(select(Document)).all()
        assert row.project_id == project_id and row.visibility == "shared"

    # The section passes axe (serious and critical issues).
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate(
        "async (id) => await axe.run(document.getElementById(id))",
        f"documents-project-{project_id}",
    )
    assert [v["id"] for v in result["violations"] if v["impact"] in ("serious", "critical")] == []

"""Documents of a project: upload (plain and htmx), types read from the content, limits,
safe downloads, deletion, access rules, the section and timeline, notifications."""

from __future__ import annotations

import hashlib
import re
import struct
import zipfile
import zlib
from io import BytesIO
from urllib.parse import quote

import pytest
from sqlalchemy import func, select

from incubator.documents import filetypes
from incubator.documents.services import safe_filename
from incubator.extensions import db
from incubator.models import Document, Notification, utcnow
from incubator.notifications.services import DOCUMENT_SHARED

from . import factories
from .helpers import MESSAGE_OOB, count_statements, project_changed

# The explicit confirmation a delete needs (see incubator/confirm.py).
CONFIRM = {"confirm": "1"}

# Tiny but real files, built here so the test shows what each one is.


def pdf() -> bytes:
    return (b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n"
            b"trailer << /Root 1 0 R >>\n%%EOF\n")


def png() -> bytes:
    header = struct.pack(">IIBBBBB", 1, 1, 8, 6, 0, 0, 0)
    chunk = b"IHDR" + header
    return (b"\x89PNG\r\n\x1a\n" + struct.pack(">I", len(header)) + chunk
            + struct.pack(">I", zlib.crc32(chunk)))


def jpeg() -> bytes:
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"


def gif() -> bytes:
    return b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00,\x00\x00\x00\x00;"


def webp() -> bytes:
    body = b"WEBPVP8 " + struct.pack("<I", 4) + b"\x00\x00\x00\x00"
    return b"RIFF" + struct.pack("<I", len(body)) + body


def zipped(entries: dict[str, bytes]) -> bytes:
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            method = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
            archive.writestr(name, data, compress_type=method)
    return buffer.getvalue()


def ooxml(folder: str, extra: dict[str, bytes] | None = None) -> bytes:
    return zipped({"[Content_Types].xml": b"<?xml version='1.0'?><Types/>",
                   f"{folder}/document.xml": b"<?xml version='1.0'?><x/>", **(extra or {})})


def odf(kind: str) -> bytes:
    return zipped({"mimetype": f"application/vnd.oasis.opendocument.{kind}".encode(),
                   "content.xml": b"<?xml version='1.0'?><office:document-content/>"})


EXCEL_CSV = ("Nom;Commune;Besoin de financement\r\nÉpicerie solidaire;Guémené-Penfao;2 500\r\n"
             "Café associatif;Redon;12 000\r\nRecyclerie;Bains-sur-Oust;à définir\r\n"
             ).encode("cp1252")
EXCEL_UNICODE = "\ufeffNom\tCommune\r\nÉpicerie solidaire\tGuémené-Penfao\r\n".encode("utf-16-le")

ACCEPTED = [
    ("statuts.pdf", pdf, "application/pdf"),
    ("logo.png", png, "image/png"),
    ("photo.JPG", jpeg, "image/jpeg"),
    ("photo.jpeg", jpeg, "image/jpeg"),
    ("anim.gif", gif, "image/gif"),
    ("image.webp", webp, "image/webp"),
    ("plan.docx", lambda: ooxml("word"),
     "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("budget.xlsx", lambda: ooxml("xl"),
     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("slides.pptx", lambda: ooxml("ppt"),
     "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
    ("plan.odt", lambda: odf("text"), "application/vnd.oasis.opendocument.text"),
    ("budget.ods", lambda: odf("spreadsheet"), "application/vnd.oasis.opendocument.spreadsheet"),
    ("slides.odp", lambda: odf("presentation"),
     "application/vnd.oasis.opendocument.presentation"),
    ("notes.txt", lambda: "Réunion du 3 mars : tout va bien.\n".encode(),
     "text/plain; charset=utf-8"),
    ("adherents.csv", lambda: b"nom;commune\nAnne;Redon\n", "text/csv; charset=utf-8"),
    # Excel in French, "CSV (séparateur : point-virgule)": Windows-1252, "é" is 0xE9
    ("adherents-excel.csv", lambda: EXCEL_CSV, "text/csv; charset=windows-1252"),
    # Excel's "Texte Unicode": UTF-16 LE with its byte order mark, tab-separated
    ("adherents-unicode.txt", lambda: EXCEL_UNICODE, "text/plain; charset=utf-16"),
    ("utf16.txt", lambda: "bonjour".encode("utf-16"), "text/plain; charset=utf-16"),
    ("latin1.txt", lambda: "Réunion".encode("latin-1"), "text/plain; charset=windows-1252"),
]

REFUSED = [
    ("setup.exe", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"),
    ("setup.pdf", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"),
    ("program", b"\x7fELF\x02\x01\x01\x00"),
    ("page.html", b"<!DOCTYPE html><html><script>alert(1)</script></html>"),
    ("page.txt", b"  <html><body onload=alert(1)></body></html>"),
    ("image.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
    ("image.txt", b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>'),
    ("old.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 32),
    ("archive.pdf", zipped({"readme.txt": b"hello"})),
    ("macros.docx", ooxml("word", {"word/vbaProject.bin": b"\x00\x01"})),
    ("page-utf16.txt", "<!DOCTYPE html><script>alert(1)</script>".encode("utf-16")),
    ("no-bom-utf16.txt", "Nom\tCommune\r\n".encode("utf-16-le")),  # binary-looking
    ("random.csv", bytes(range(256)) * 8),
    ("nul.csv", "Nom;Commune\r\nÉpicerie\x00;Redon\r\n".encode("cp1252")),
]


def url(project, document=None, action: str = "") -> str:
    base = f"/projects/{project.id}/documents"
    if document is not None:
        base += f"/{document.id}"
    return base + action


def upload(client, project, content: bytes, name: str, *, htmx: bool = False, **fields):
    data = {"document-file": (BytesIO(content), name)}
    data.update({f"document-{key}": value for key, value in fields.items()})
    return client.post(url(project), data=data, htmx=htmx)


def upload_named(client, project, content: bytes, name: str):
    """An upload whose file name arrives exactly as given, quotes and line breaks included
    (RFC 5987 ``filename*``, which Werkzeug decodes), as a hostile client could send it."""
    boundary = "----DocumentsTestBoundary"
    body = (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="csrf_token"\r\n\r\n'
        f"{client.csrf_token()}\r\n"
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="document-file"; '
        f"filename*=UTF-8''{quote(name, safe='')}\r\n"
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode() + content + f"\r\n--{boundary}--\r\n".encode()
    return client.post(url(project), data=body,
                        content_type=f"multipart/form-data; boundary={boundary}")


def stored(project=None) -> list[Document]:
    statement = select(Document).order_by(Document.id)
    if project is not None:
        statement = statement.where(Document.project_id == project.id)
    return list(db.session.scalars(statement))


def document(project, *, uploader=None, name: str = "plan.pdf", content: bytes | None = None,
             visibility: str = "shared", deleted: bool = False) -> Document:
    content = pdf() if content is None else content
    item = Document(
        project_id=project.id, uploaded_by_id=uploader.id if uploader else None, filename=name,
        content_type="application/pdf", size=len(content),
        sha256=hashlib.sha256(content).hexdigest(), visibility=visibility, content=content,
        deleted_at=utcnow() if deleted else None,
    )
    db.session.add(item)
    db.session.flush()
    return item


@pytest.fixture
def holder_project(team, auth):
    """A logged-in holder and their project, with an advisor."""
    assert auth.login(team.holder).status_code == 303
    return team.holder, team.project, team.advisor


# Uploading


def test_a_holder_uploads_a_pdf_with_the_plain_form_and_comes_back_to_the_section(
        client, holder_project):
    holder, project, _advisor = holder_project
    response = upload(client, project, pdf(), "Statuts 2026.pdf")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/projects/{project.id}#documents-project-{project.id}"
    [row] = stored(project)
    assert (row.filename, row.content_type, row.size) == ("Statuts 2026.pdf", "application/pdf",
                                                          len(pdf()))
    assert row.sha256 == hashlib.sha256(pdf()).hexdigest()
    assert row.content == pdf()
    assert row.visibility == "shared" and row.uploaded_by_id == holder.id
    html = client.get(f"/projects/{project.id}").get_data(as_text=True)
    assert "Document added: Statuts 2026.pdf." in html  # the flash
    assert f'id="document-{row.id}"' in html


def test_an_htmx_upload_answers_the_fresh_form_and_the_list_out_of_band(client, holder_project):
    _holder, project, _advisor = holder_project
    response = upload(client, project, pdf(), "budget.pdf", htmx=True)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<html" not in html
    assert html.lstrip().startswith(f'<form id="document-form-project-{project.id}"')
    assert f'<div id="document-list-project-{project.id}" class="document-list" hx-swap-oob="true">' in html
    [row] = stored(project)
    assert f'id="document-{row.id}"' in html and "budget.pdf" in html
    assert MESSAGE_OOB in html and "Document added: budget.pdf." in html
    assert project_changed(response)
    assert "HX-Request" in response.headers["Vary"]


def test_the_project_page_offers_a_multipart_form_for_htmx_and_without_javascript(
        client, holder_project):
    _holder, project, _advisor = holder_project
    html = client.get(f"/projects/{project.id}").get_data(as_text=True)
    form = html[html.index(f'id="document-form-project-{project.id}"'):]
    form = form[:form.index("</form>")]
    assert 'enctype="multipart/form-data"' in form
    assert 'hx-encoding="multipart/form-data"' in form
    assert f'action="/projects/{project.id}/documents"' in form
    assert 'type="file"' in form and 'name="document-file"' in form
    assert 'accept=".pdf,' in form and "at most 10 MB" in form
    # Holders do not choose: their documents are shared.
    assert "document-visibility" not in form


@pytest.mark.parametrize(("name", "make", "content_type"), ACCEPTED,
                         ids=[case[0] for case in ACCEPTED])
def test_each_accepted_type_is_stored_with_the_type_read_from_its_content(
        client, login, name, make, content_type):
    login("advisor")
    project = factories.project()
    db.session.commit()
    content = make()
    response = upload(client, project, content, name)
    assert response.status_code == 303, response.get_data(as_text=True)
    [row] = stored(project)
    assert row.content_type == content_type and row.filename == name
    assert row.content == content


@pytest.mark.parametrize(("name", "content"), REFUSED, ids=[case[0] for case in REFUSED])
def test_other_types_are_refused_with_422_and_nothing_is_stored(client, login, name, content):
    login("advisor")
    project = factories.project()
    db.session.commit()
    response = upload(client, project, content, name)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'aria-invalid="true"' in html and "field-error" in html
    assert "not accepted" in html or "does not match" in html or "but its content is" in html
    assert stored() == []


def test_the_refusal_lists_what_is_accepted(client, holder_project):
    _holder, project, _advisor = holder_project
    html = upload(client, project, b"<svg/>", "logo.svg").get_data(as_text=True)
    assert "This type of file is not accepted. Accepted: PDF; Word, Excel and PowerPoint" in html
    assert "(.docx, .xlsx, .pptx); OpenDocument (.odt, .ods, .odp); images (PNG, JPEG" in html


def test_a_name_that_disagrees_with_the_content_is_refused_and_says_how_to_fix_it(
        client, holder_project):
    _holder, project, _advisor = holder_project
    response = upload(client, project, ooxml("word"), "rapport.pdf", htmx=True)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "name ends in “.pdf” but its content is DOCX" in html
    assert "“.docx”" in html
    assert stored() == []


def test_old_office_files_are_refused_with_advice(client, holder_project):
    _holder, project, _advisor = holder_project
    response = upload(client, project, REFUSED[7][1], "budget.xls")
    assert response.status_code == 422
    assert "Save the file as .docx, .xlsx, .pptx or OpenDocument" in response.get_data(
        as_text=True)


def test_a_refused_type_in_htmx_gives_the_form_back_in_place_with_its_error(
        client, holder_project):
    _holder, project, _advisor = holder_project
    response = upload(client, project, b"MZ\x90\x00\x03\x00", "virus.exe", htmx=True)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "<html" not in html and html.lstrip().startswith("<form")
    assert 'role="alert"' in html and "not accepted" in html
    assert "HX-Request" in response.headers["Vary"]
    assert stored() == []


def test_a_refused_type_without_javascript_gives_a_page_with_the_form(client, holder_project):
    _holder, project, _advisor = holder_project
    response = upload(client, project, b"<html></html>", "page.html")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "<html" in html and "Épicerie vrac" in html and 'type="file"' in html
    assert f'href="/projects/{project.id}#documents-project-{project.id}"' in html


def test_an_empty_file_is_refused(client, holder_project):
    _holder, project, _advisor = holder_project
    response = upload(client, project, b"", "vide.pdf")
    assert response.status_code == 422
    assert "The file is empty" in response.get_data(as_text=True)
    assert stored() == []


def test_no_file_chosen_is_refused(client, holder_project):
    _holder, project, _advisor = holder_project
    response = client.post(url(project), data={}, htmx=True)
    assert response.status_code == 422
    assert "Choose a file to add." in response.get_data(as_text=True)
    assert stored() == []


def test_a_file_over_the_document_limit_gets_413_with_a_clear_message(
        app, client, holder_project):
    _holder, project, _advisor = holder_project
    app.config["DOCUMENT_MAX_BYTES"] = 2048
    content = pdf() + b"0" * 2048
    for htmx in (False, True):
        response = upload(client, project, content, "gros.pdf", htmx=htmx)
        assert response.status_code == 413
        html = response.get_data(as_text=True)
        assert "The file is larger than the limit of 2 KB." in html
        assert ("<html" in html) is not htmx
    assert stored() == []
    # Exactly at the limit is fine.
    response = upload(client, project, pdf() + b"0" * (2048 - len(pdf())), "juste.pdf")
    assert response.status_code == 303
    assert len(stored()) == 1


def test_a_request_over_max_content_length_gets_the_same_clear_413(app, client, holder_project):
    """Werkzeug refuses the body before the route runs (the CSRF check reads the form)."""
    _holder, project, _advisor = holder_project
    app.config["MAX_CONTENT_LENGTH"] = 4096
    content = pdf() + b"0" * 8192
    page = upload(client, project, content, "enorme.pdf")
    assert page.status_code == 413
    html = page.get_data(as_text=True)
    assert "<html" in html and "The file is larger than the limit of 10 MB." in html
    assert 'type="file"' in html  # the form again, ready for another file
    fragment = upload(client, project, content, "enorme.pdf", htmx=True)
    assert fragment.status_code == 413
    html = fragment.get_data(as_text=True)
    assert "<html" not in html and html.lstrip().startswith("<form")
    assert "The file is larger than the limit of 10 MB." in html
    assert stored() == []


def test_a_request_too_large_for_someone_who_may_not_upload_gets_the_error_page(
        app, client, login):
    login("holder")
    project = factories.project()
    db.session.commit()
    app.config["MAX_CONTENT_LENGTH"] = 1024
    response = upload(client, project, pdf() + b"0" * 4096, "x.pdf", htmx=True)
    assert response.status_code == 413
    assert response.headers["HX-Retarget"] == "#messages"
    assert "larger than the limit" in response.get_data(as_text=True)


def test_an_upload_without_the_csrf_token_is_refused(client, holder_project):
    _holder, project, _advisor = holder_project
    response = client.post(url(project), data={"document-file": (BytesIO(pdf()), "a.pdf")},
                           csrf=False)
    assert response.status_code == 400
    assert stored() == []


def test_holders_documents_are_always_shared_even_if_they_ask_otherwise(client, holder_project):
    _holder, project, _advisor = holder_project
    upload(client, project, pdf(), "a.pdf", visibility="internal")
    assert stored()[0].visibility == "shared"


def test_staff_choose_internal_or_shared(client, login):
    login("advisor")
    project = factories.project()
    db.session.commit()
    html = client.get(f"/projects/{project.id}").get_data(as_text=True)
    assert 'name="document-visibility"' in html
    upload(client, project, pdf(), "interne.pdf", visibility="internal")
    upload(client, project, pdf(), "partage.pdf", visibility="shared")
    assert [(d.filename, d.visibility) for d in stored()] == [("interne.pdf", "internal"),
                                                              ("partage.pdf", "shared")]
    response = upload(client, project, pdf(), "x.pdf", visibility="secret")
    assert response.status_code == 422
    assert len(stored()) == 2


@pytest.mark.parametrize("role", ["advisor", "manager"])
def test_staff_upload_to_any_project(client, login, role):
    login(role)
    project = factories.project(holders=[factories.user()])
    db.session.commit()
    assert upload(client, project, pdf(), "a.pdf").status_code == 303
    assert len(stored(project)) == 1


def test_a_holder_of_another_project_cannot_upload(client, login):
    login("holder")
    project = factories.project(holders=[factories.user()])
    db.session.commit()
    assert upload(client, project, pdf(), "a.pdf").status_code == 404
    assert upload(client, project, pdf(), "a.pdf", htmx=True).status_code == 404
    assert stored() == []


def test_a_mentor_cannot_upload(client, login):
    login("mentor")
    project = factories.project()
    db.session.commit()
    assert upload(client, project, pdf(), "a.pdf").status_code == 404
    assert stored() == []


def test_anonymous_uploads_are_sent_to_the_login(client):
    project = factories.project()
    db.session.commit()
    response = upload(client, project, pdf(), "a.pdf")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    assert stored() == []


# Downloading


def test_a_download_is_an_attachment_with_the_exact_bytes_and_protective_headers(
        client, holder_project):
    _holder, project, _advisor = holder_project
    upload(client, project, pdf(), "Business plan.pdf")
    [row] = stored(project)
    response = client.get(url(project, row))
    assert response.status_code == 200
    assert response.data == pdf()
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == 'attachment; filename="Business plan.pdf"'
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response.headers["Cache-Control"] == "private, no-store"


def test_a_text_file_is_sent_as_text_not_as_html(client, holder_project):
    _holder, project, _advisor = holder_project
    upload(client, project, b"a;b\n1;2\n", "data.csv")
    response = client.get(url(project, stored()[0]))
    assert response.headers["Content-Type"].startswith("text/csv")
    assert response.headers["Content-Disposition"].startswith("attachment;")


def test_an_excel_csv_comes_back_as_sent_with_its_encoding(client, holder_project):
    _holder, project, _advisor = holder_project
    assert b"\xe9" in EXCEL_CSV and b";" in EXCEL_CSV  # the real bytes of a French Excel
    upload(client, project, EXCEL_CSV, "adherents.csv")
    response = client.get(url(project, stored()[0]))
    assert response.data == EXCEL_CSV
    assert response.headers["Content-Type"] == "text/csv; charset=windows-1252"


@pytest.mark.parametrize(("given", "kept"), [
    ("../../etc/passwd", "passwd.pdf"),
    ("..\\..\\Windows\\system.ini.pdf", "system.ini.pdf"),
    ('a"b\r\nX: y.pdf', "a_bX_ y.pdf"),
    ("/home/anne/.hidden.pdf", "hidden.pdf"),
    ("...", "document.pdf"),
    ("", "document.pdf"),
    ("\u202eevil.pdf", "evil.pdf"),
])
def test_hostile_names_are_made_safe_for_display_and_download(client, holder_project, given,
                                                              kept):
    _holder, project, _advisor = holder_project
    # An empty file name means "no file" to the form: a blank one reaches the sanitiser.
    response = upload_named(client, project, pdf(), given or " ")
    assert response.status_code == 303, response.get_data(as_text=True)
    [row] = stored(project)
    assert row.filename == kept
    download = client.get(url(project, row))
    disposition = download.headers["Content-Disposition"]
    assert disposition in (f"attachment; filename={kept}", f'attachment; filename="{kept}"')
    assert download.headers.get("X") is None  # no header smuggled in
    assert download.data == pdf()


def test_a_name_in_french_is_sent_with_its_accents(client, holder_project):
    _holder, project, _advisor = holder_project
    upload(client, project, pdf(), "Délibération – comité.pdf")
    disposition = client.get(url(project, stored()[0])).headers["Content-Disposition"]
    assert "filename*=UTF-8''D%C3%A9lib%C3%A9ration%20%E2%80%93%20comit%C3%A9.pdf" in disposition


def test_a_disguised_executable_name_is_refused(client, holder_project):
    _holder, project, _advisor = holder_project
    # "invoice<RLO>fdp.exe" displays as "invoiceexe.pdf"; without the control it ends in .exe.
    response = upload(client, project, pdf(), "invoice\u202efdp.exe")
    assert response.status_code == 422
    assert stored() == []


def test_holder_downloads_shared_documents_of_their_project_but_not_internal_ones(
        client, holder_project):
    _holder, project, advisor = holder_project
    shared = document(project, uploader=advisor)
    internal = document(project, uploader=advisor, visibility="internal")
    db.session.commit()
    assert client.get(url(project, shared)).status_code == 200
    assert client.get(url(project, internal)).status_code == 404


def test_a_holder_of_another_project_cannot_download(client, login):
    login("holder")
    project = factories.project(holders=[factories.user()])
    shared = document(project)
    db.session.commit()
    assert client.get(url(project, shared)).status_code == 404


def test_a_document_is_only_reachable_through_its_own_project(client, holder_project):
    _holder, project, _advisor = holder_project
    other = factories.project(holders=[factories.user()])
    theirs = document(other)
    db.session.commit()
    assert client.get(f"/projects/{project.id}/documents/{theirs.id}").status_code == 404


def test_a_mentor_cannot_download(client, login):
    login("mentor")
    project = factories.project()
    shared = document(project)
    db.session.commit()
    assert client.get(url(project, shared)).status_code == 404


def test_anonymous_downloads_are_sent_to_the_login(client):
    project = factories.project()
    shared = document(project)
    db.session.commit()
    response = client.get(url(project, shared))
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


@pytest.mark.parametrize("role", ["advisor", "manager"])
def test_staff_download_shared_and_internal_documents(client, login, role):
    login(role)
    project = factories.project(holders=[factories.user()])
    shared = document(project, content=pdf() + b"1")
    internal = document(project, visibility="internal", content=pdf() + b"2")
    db.session.commit()
    assert client.get(url(project, shared)).data == pdf() + b"1"
    assert client.get(url(project, internal)).data == pdf() + b"2"


def test_a_deleted_document_is_no_longer_downloadable(client, login):
    login("advisor")
    project = factories.project()
    gone = document(project, deleted=True)
    db.session.commit()
    assert client.get(url(project, gone)).status_code == 404


# Deleting


def test_a_holder_deletes_their_own_upload_while_the_project_is_active(client, holder_project):
    _holder, project, _advisor = holder_project
    upload(client, project, pdf(), "erreur.pdf")
    [row] = stored(project)
    response = client.post(url(project, row, "/delete"), data=CONFIRM)
    assert response.status_code == 303
    assert db.session.get(Document, row.id).deleted_at is not None
    html = client.get(f"/projects/{project.id}").get_data(as_text=True)
    assert "Document deleted: erreur.pdf." in html
    assert f'id="document-{row.id}"' not in html


def test_an_htmx_delete_answers_the_list_without_the_document(client, holder_project):
    _holder, project, _advisor = holder_project
    upload(client, project, pdf(), "un.pdf")
    upload(client, project, pdf(), "deux.pdf")
    first, second = stored(project)
    response = client.post(url(project, first, "/delete"), data=CONFIRM, htmx=True)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith(f'<div id="document-list-project-{project.id}"')
    assert f'id="document-{first.id}"' not in html and f'id="document-{second.id}"' in html
    assert "Document deleted: un.pdf." in html and "<html" not in html
    assert "HX-Request" in response.headers["Vary"]


def test_a_holder_cannot_delete_what_the_team_shared(client, holder_project):
    _holder, project, advisor = holder_project
    theirs = document(project, uploader=advisor)
    db.session.commit()
    response = client.post(url(project, theirs, "/delete"), data=CONFIRM)
    assert response.status_code == 403
    assert db.session.get(Document, theirs.id).deleted_at is None


def test_a_holder_cannot_delete_an_internal_document_they_cannot_see(client, holder_project):
    _holder, project, advisor = holder_project
    internal = document(project, uploader=advisor, visibility="internal")
    db.session.commit()
    assert client.post(url(project, internal, "/delete"), data=CONFIRM).status_code == 404
    assert db.session.get(Document, internal.id).deleted_at is None


def test_a_holder_cannot_delete_their_upload_once_the_project_is_closed(client, holder_project):
    holder, project, _advisor = holder_project
    mine = document(project, uploader=holder)
    project.status = "closed"
    project.position = None
    db.session.commit()
    assert client.post(url(project, mine, "/delete"), data=CONFIRM, htmx=True).status_code == 403
    assert db.session.get(Document, mine.id).deleted_at is None


def test_others_cannot_delete(client, login, auth):
    owner = factories.user()
    project = factories.project(holders=[owner])
    item = document(project, uploader=owner)
    db.session.commit()
    assert client.post(url(project, item, "/delete"), data=CONFIRM).status_code == 302  # anonymous: login
    login("holder")
    assert client.post(url(project, item, "/delete"), data=CONFIRM).status_code == 404
    auth.logout()
    login("mentor")
    assert client.post(url(project, item, "/delete"), data=CONFIRM).status_code == 404
    assert db.session.get(Document, item.id).deleted_at is None


@pytest.mark.parametrize("role", ["advisor", "manager"])
def test_staff_delete_any_document(client, login, role):
    login(role)
    owner = factories.user()
    project = factories.project(holders=[owner], status="closed", stage_position=None)
    items = [document(project, uploader=owner), document(project, visibility="internal")]
    db.session.commit()
    for item in items:
        assert client.post(url(project, item, "/delete"), data=CONFIRM).status_code == 303
        assert db.session.get(Document, item.id).deleted_at is not None


def test_deleting_twice_is_a_404(client, login):
    login("advisor")
    project = factories.project()
    gone = document(project, deleted=True)
    db.session.commit()
    assert client.post(url(project, gone, "/delete"), data=CONFIRM).status_code == 404


# The section and the timeline


def test_holders_see_shared_documents_only_and_staff_see_all(client, login, auth):
    holder = factories.user()
    advisor = factories.user(role="advisor", name="Yann Le Goff")
    project = factories.project(holders=[holder])
    shared = document(project, uploader=advisor, name="Compte rendu partagé.pdf")
    internal = document(project, uploader=advisor, name="Analyse interne.pdf",
                        visibility="internal")
    gone = document(project, uploader=advisor, name="Retiré.pdf", deleted=True)
    db.session.commit()
    auth.login(holder)
    html = client.get(f"/projects/{project.id}").get_data(as_text=True)
    listing = html[html.index(f'id="document-list-project-{project.id}"'):]
    listing = listing[:listing.index("</div>")]
    assert f'id="document-{shared.id}"' in listing and "Compte rendu partagé.pdf" in listing
    assert f'id="document-{internal.id}"' not in listing and f'id="document-{gone.id}"' not in listing
    assert "Analyse interne" not in html  # not in the timeline either
    assert "Yann Le Goff" in listing
    auth.logout()
    auth.login(advisor)
    html = client.get(f"/projects/{project.id}").get_data(as_text=True)
    listing = html[html.index(f'id="document-list-project-{project.id}"'):]
    listing = listing[:listing.index("</div>")]
    assert f'id="document-{shared.id}"' in listing and f'id="document-{internal.id}"' in listing
    assert "Internal" in listing
    assert f'id="document-{gone.id}"' not in listing


def test_newest_documents_come_first(client, login):
    login("advisor")
    project = factories.project()
    old = document(project, name="ancien.pdf")
    new = document(project, name="recent.pdf")
    db.session.commit()
    html = client.get(f"/projects/{project.id}").get_data(as_text=True)
    assert html.index(f'id="document-{new.id}"') < html.index(f'id="document-{old.id}"')


def test_delete_buttons_show_only_where_deleting_is_allowed(client, holder_project):
    holder, project, advisor = holder_project
    mine = document(project, uploader=holder)
    theirs = document(project, uploader=advisor)
    db.session.commit()
    html = client.get(f"/projects/{project.id}").get_data(as_text=True)
    assert url(project, mine, "/delete") in html
    assert url(project, theirs, "/delete") not in html


def test_the_timeline_shows_documents_added_with_who_even_once_deleted(client, holder_project):
    holder, project, advisor = holder_project
    document(project, uploader=advisor, name="charte.pdf")
    document(project, uploader=holder, name="brouillon.pdf", deleted=True)
    document(project, uploader=advisor, name="secret.pdf", visibility="internal")
    db.session.commit()
    html = client.get(f"/projects/{project.id}").get_data(as_text=True)
    timeline = html[html.index(f'id="timeline-project-{project.id}"'):]
    assert "Document added:" in timeline and "charte.pdf" in timeline
    assert "— Yann Le Goff" in timeline
    assert "Document added: brouillon.pdf (deleted since)" in timeline
    assert "secret.pdf" not in html


def test_the_project_page_costs_the_same_statements_with_2_or_20_documents(client, login):
    login("advisor")
    project = factories.project(holders=[factories.user()])
    uploaders = [factories.user(role="advisor") for _ in range(20)]
    for uploader in uploaders[:2]:
        document(project, uploader=uploader)
    db.session.commit()

    def cost() -> int:
        with count_statements() as statements:
            assert client.get(f"/projects/{project.id}").status_code == 200
        return len(statements)

    few = cost()
    for uploader in uploaders[2:]:
        document(project, uploader=uploader, visibility="internal")
    db.session.commit()
    assert cost() == few


def test_the_list_never_loads_document_contents(app, client, login):
    login("advisor")
    project = factories.project()
    document(project, content=pdf() + b"UNIQUE-CONTENT-MARKER")
    db.session.commit()
    with count_statements() as statements:
        client.get(f"/projects/{project.id}")
    documents_reads = [s for s in statements if "FROM documents" in s]
    assert documents_reads
    assert not any(re.search(r"documents\.content(?!_)", s) for s in documents_reads)


# Notifications


def test_a_document_shared_by_staff_notifies_the_holders(client, login):
    advisor = login("advisor")
    first, second = factories.user(), factories.user()
    project = factories.project(holders=[first, second], advisor=advisor, title="Recyclerie")
    db.session.commit()
    upload(client, project, pdf(), "convention.pdf", visibility="shared")
    rows = db.session.scalars(select(Notification).order_by(Notification.user_id)).all()
    assert [(n.user_id, n.kind, n.project_id, n.actor_id) for n in rows] == [
        (first.id, DOCUMENT_SHARED, project.id, advisor.id),
        (second.id, DOCUMENT_SHARED, project.id, advisor.id),
    ]
    assert rows[0].detail == {"name": "convention.pdf", "title": "Recyclerie"}


def test_an_internal_document_notifies_nobody(client, login):
    login("advisor")
    project = factories.project(holders=[factories.user()])
    db.session.commit()
    upload(client, project, pdf(), "interne.pdf", visibility="internal")
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 0


def test_a_holder_upload_notifies_the_advisor(client, holder_project):
    _holder, project, advisor = holder_project
    upload(client, project, pdf(), "devis.pdf", htmx=True)
    [row] = db.session.scalars(select(Notification)).all()
    assert (row.user_id, row.kind, row.detail["name"]) == (advisor.id, DOCUMENT_SHARED,
                                                           "devis.pdf")


def test_a_refused_upload_notifies_nobody(client, holder_project):
    _holder, project, _advisor = holder_project
    upload(client, project, b"MZ\x00\x00", "x.exe")
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 0


# Units: content detection and names


def test_detection_reads_the_content_not_the_name():
    assert filetypes.detect(pdf()) is filetypes.PDF
    assert filetypes.detect(png()) is filetypes.PNG
    assert filetypes.detect(ooxml("xl")) is filetypes.XLSX
    assert filetypes.detect(odf("presentation")) is filetypes.ODP
    assert filetypes.detect(odf("graphics")) is None
    assert filetypes.detect(b"PK\x03\x04 not really a zip") is None
    assert filetypes.detect(b"a,b\n").code == filetypes.TEXT.code
    assert filetypes.detect(b"\xef\xbb\xbf<svg/>") is None
    assert filetypes.detect(b"") is None


def test_safe_names_are_short_and_keep_their_extension():
    long = "x" * 300 + ".pdf"
    name = safe_filename(long, filetypes.PDF)
    assert len(name) == 150 and name.endswith(".pdf")
    assert safe_filename("rapport", filetypes.PDF) == "rapport.pdf"
    assert safe_filename("C:\\Users\\anne\\notes.txt", filetypes.TEXT) == "notes.txt"
    assert safe_filename("tab\there.pdf", filetypes.PDF) == "tabhere.pdf"
    assert safe_filename("  spaced   out  .pdf", filetypes.PDF) == "spaced out .pdf"

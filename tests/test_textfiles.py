"""``read_text_file``: text as French users' tools save it is read, with its encoding;
binary data is not text, whatever its name (issue 9, "files people really have")."""

from __future__ import annotations

import os

import pytest

from incubator.textfiles import NotText, read_text_file

ROWS = "Nom;Commune;Besoin\r\nÉpicerie solidaire;Guémené-Penfao;2 500 €\r\nCafé d’à côté;Redon;œuvre\r\n"


@pytest.mark.parametrize(("data", "encoding"), [
    (ROWS.encode("utf-8"), "utf-8"),
    (b"\xef\xbb\xbf" + ROWS.encode("utf-8"), "utf-8"),  # Excel's "CSV UTF-8"
    (ROWS.encode("cp1252"), "windows-1252"),  # Excel's "CSV (séparateur : point-virgule)"
    (b"\xff\xfe" + ROWS.replace(";", "\t").encode("utf-16-le"), "utf-16"),  # "Texte Unicode"
    (ROWS.encode("utf-16"), "utf-16"),
    (b"a;b\n1;2\n", "utf-8"),
])
def test_text_in_the_encodings_people_use_is_read_whole(data, encoding):
    text, found = read_text_file(data)
    assert found == encoding
    assert text.replace("\t", ";") == ROWS or text == "a;b\n1;2\n"


def test_windows_1252_accents_are_not_read_as_central_european():
    text, _encoding = read_text_file("Responsable à l’accueil;Fégréac;Très bien\r\n"
                                     .encode("cp1252"))
    assert "à l’accueil" in text and "Très" in text


@pytest.mark.parametrize("data", [
    b"", bytes(range(256)) * 4, os.urandom(4096), b"\x7fELF\x02\x01\x01\x00" + bytes(64),
    b"MZ\x90\x00\x03\x00\x00\x00", "Nom\tCommune\r\n".encode("utf-16-le"),  # no BOM
    b"abc\x00def", "texte\x01\x02".encode("cp1252"),
])
def test_binary_data_is_not_text(data):
    with pytest.raises(NotText):
        read_text_file(data)

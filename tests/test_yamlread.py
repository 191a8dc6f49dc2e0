import codecs
import datetime as dt
from pathlib import Path

import pytest

from curriculum.errors import CurriculumError
from curriculum.yamlread import MAX_FILE_BYTES, read_text, read_yaml


def read(tmp_path, text: str | bytes):
    path = tmp_path / "m.yaml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return read_yaml(path)


def error_of(tmp_path, text) -> CurriculumError:
    with pytest.raises(CurriculumError) as info:
        read(tmp_path, text)
    return info.value


def test_values_and_their_lines(tmp_path):
    doc = read(tmp_path, "id: a\nhours: 3.5\nprerequisites:\n  - b\n  - c\nstart: 2027-01-11\n")
    assert doc.data == {"id": "a", "hours": 3.5, "prerequisites": ["b", "c"], "start": dt.date(2027, 1, 11)}
    assert doc.line_of(("prerequisites", 1)) == 5
    assert doc.line_of(("hours",)) == 2
    # Unknown paths fall back to the nearest parent.
    assert doc.line_of(("prerequisites", 7)) == 3


def test_byte_order_mark_is_accepted(tmp_path):
    assert read(tmp_path, b"\xef\xbb\xbfid: a\n").data == {"id": "a"}


@pytest.mark.parametrize(
    "text, line, message",
    [
        ("a: 1\nb: 2\na: 3\n", 3, "duplicate key 'a' (first on line 1)"),
        ("a:\n\tb: 1\n", 2, "tab character found; indent YAML with spaces"),
        ("", 1, "file is empty"),
        ("# only a comment\n", 1, "file is empty"),
        ("a: 1\n---\nb: 2\n", 2, "expected one YAML document, found several"),
        ("a: !!python/object/apply:os.system [echo hi]\n", 1, "YAML tag '!!python/object/apply:os.system' is not allowed"),
        ("a: !custom 1\n", 1, "YAML tag '!custom' is not allowed"),
        ("a: [1, 2\nb: 3\n", 2, "invalid YAML"),
        ("? [a, b]\n: 1\n", 1, "mapping keys must be plain text"),
        ("a: 2027-01-11 10:00:00\n", 1, "expected a date, not a date and time"),
        # YAML 1.1 surprises: say what is wrong and what to write.
        ("a: 1\nb: 2027-02-30\n", 2, "'2027-02-30' is not a real date"),
        ("a: [1, .nan]\n", 1, "'.nan' is not a number (NaN): write a finite number, such as 2.5"),
        ("a:\n  b: .Inf\n", 2, "'.Inf' is infinite: write a finite number, such as 2.5"),
        ("a: 1.0e+400\n", 1, "'1.0e+400' is infinite: write a finite number, such as 2.5"),
        ("a: 1" + "0" * 400 + "\n", 1, "'10000000000000000000'... is too large a number"),
    ],
)
def test_broken_yaml_is_located(tmp_path, text, line, message):
    error = error_of(tmp_path, text)
    assert error.line == line
    assert message in error.message
    assert error.path.endswith("m.yaml")


def test_not_utf8_names_the_line(tmp_path):
    error = error_of(tmp_path, b"id: a\ntitle: caf\xe9\n")
    assert (error.line, error.message) == (2, "file is not UTF-8 text (it seems to be Windows-1252 or Latin-1); "
                                              "save it as UTF-8")


def test_alias_bomb_is_refused(tmp_path):
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for previous, name in zip("abcdefgh", "bcdefghi"):
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 10) + "]")
    error = error_of(tmp_path, "\n".join(lines) + "\n")
    assert "aliases expand too far" in error.message


def test_small_aliases_are_fine(tmp_path):
    assert read(tmp_path, "a: &x [1, 2]\nb: *x\n").data == {"a": [1, 2], "b": [1, 2]}


def test_deep_nesting_is_refused(tmp_path):
    assert "nest" in error_of(tmp_path, "a: " + "[" * 5000 + "]" * 5000 + "\n").message


def test_oversized_file_is_refused(tmp_path):
    error = error_of(tmp_path, "a: " + "x" * MAX_FILE_BYTES + "\n")
    assert "over the limit" in error.message


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32"])
def test_unicode_with_a_byte_order_mark_is_read(tmp_path, encoding):
    text = "id: a\ntitle: Zoë – ML\n"
    raw = text.encode(encoding)
    if encoding == "utf-16-be":
        raw = codecs.BOM_UTF16_BE + raw
    assert read(tmp_path, raw).data == {"id": "a", "title": "Zoë – ML"}


@pytest.mark.parametrize("raw, line, seems", [
    ("id: a\ntitle: Zoë\n".encode("utf-16-le"), 2, "it seems to be UTF-16 without a byte-order mark"),
    ("id: a\n\ntitle: Müßiggang „Über“\n".encode("cp1252"), 3, "it seems to be Windows-1252 or Latin-1"),
    ("id: a\ntitle: Машинное обучение\n".encode("cp1251"), 2, "it is in some other encoding"),
    ("id: a\ntitle: 機械学習\n".encode("shift_jis"), 2, "it is in some other encoding"),
])
def test_other_encodings_say_what_the_file_seems_to_be(tmp_path, raw, line, seems):
    error = error_of(tmp_path, raw)
    assert (error.line, error.message) == (line, f"file is not UTF-8 text ({seems}); save it as UTF-8")


def test_only_regular_files_are_read(tmp_path):
    with pytest.raises(CurriculumError) as info:
        read_yaml(tmp_path)
    assert info.value.message == "not a regular file (it is a folder); only regular files are read"
    with pytest.raises(CurriculumError) as info:
        read_text(Path("/dev/null"))
    assert info.value.message == "not a regular file (it is a device); only regular files are read"

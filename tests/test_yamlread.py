import datetime as dt

import pytest

from curriculum.errors import CurriculumError
from curriculum.yamlread import MAX_FILE_BYTES, read_yaml


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
    ],
)
def test_broken_yaml_is_located(tmp_path, text, line, message):
    error = error_of(tmp_path, text)
    assert error.line == line
    assert message in error.message
    assert error.path.endswith("m.yaml")


def test_not_utf8_names_the_line(tmp_path):
    error = error_of(tmp_path, b"id: a\ntitle: caf\xe9\n")
    assert (error.line, error.message) == (2, "file is not UTF-8 text")


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

"""Issue 12: `cpe import` reads a JSON array or JSON Lines with the keys of `cpe list --format json`."""

from __future__ import annotations

import json

from support import add, only_error


def exported(cpe) -> list[dict]:
    return json.loads(cpe("list", "--preset", "all-time", "--format", "json").stdout)


def without_ids(records: list[dict]) -> list[dict]:
    return sorted(({key: value for key, value in record.items() if key != "id"} for record in records),
                  key=lambda record: record["title"])


def seed(cpe) -> list[dict]:
    add(cpe, title="One", credits="1.5", tag="fraud")
    add(cpe, title="Two", credits="2", state="NY", description="notes")
    return exported(cpe)


def test_a_json_array_from_cpe_list_round_trips(cpe, tmp_path, monkeypatch):
    records = seed(cpe)
    monkeypatch.setenv("CPE_HOME", str(tmp_path / "other"))
    result = cpe("import", "-", "--json", input=json.dumps(records))
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["imported"] == 2
    assert without_ids(exported(cpe)) == without_ids(records)


def test_json_lines_round_trip_and_format_option(cpe, tmp_path, monkeypatch):
    records = seed(cpe)
    (tmp_path / "r.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records) + "\n")
    monkeypatch.setenv("CPE_HOME", str(tmp_path / "other"))
    result = cpe("import", str(tmp_path / "r.jsonl"), "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert without_ids(exported(cpe)) == without_ids(records)


def test_bad_json_is_refused_with_nothing_imported(cpe, home, tmp_path):
    (tmp_path / "r.json").write_text('[{"title": "x",')
    assert "is not valid JSON" in only_error(cpe("import", str(tmp_path / "r.json")))
    (tmp_path / "r.json").write_text('[{"title": "x", "credits": 0, "colour": 1}]')
    result = cpe("import", str(tmp_path / "r.json"))
    assert result.exit_code == 2 and "Warning: ignoring unknown key 'colour'" in result.stderr
    assert not home.exists()
    assert "is not csv, json or zip" in only_error(cpe("import", str(tmp_path / "r.json"), "--format", "xml"))


def big_array(count: int) -> list[dict]:
    return [{"date": "2026-03-01", "title": f"Course {number} " + "x" * 200, "credits": 1.5,
             "field_of_study": "Taxes", "delivery_method": "Group Live", "provider": "AICPA", "state": None,
             "source": "external", "description": "d" * 500, "certificate": None, "tags": []}
            for number in range(count)]


import pytest  # noqa: E402


@pytest.mark.parametrize("indent", [None, 2], ids=["one-line", "one-line-a-value"])
def test_a_json_array_over_a_csv_line_limit_is_read_whole(cpe, tmp_path, indent):
    """A JSON array is bounded by its own limit (256 MiB), not by a CSV line's or record's (1 MiB): `jq -c`
    writes it on one line, `cpe list --format json` on many."""
    source = tmp_path / "big.json"
    source.write_text(json.dumps(big_array(1500), indent=indent))
    assert source.stat().st_size > 1024 * 1024
    result = cpe("import", str(source), "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["imported"] == 1500


def test_a_json_array_over_its_limit_is_refused_naming_json_lines(cpe, home, tmp_path, monkeypatch):
    from cpe_cli.ops import importer

    monkeypatch.setattr(importer, "MAX_JSON_BYTES", 1024 * 1024)
    source = tmp_path / "big.json"
    source.write_text(json.dumps(big_array(1500)))
    result = cpe("import", str(source))
    assert result.exit_code == 2
    assert only_error(result) == (f"Error: {source} is a JSON array over 1 MiB; write it as JSON Lines (one object a "
                                  "line) to import it; nothing imported")
    assert not home.exists()

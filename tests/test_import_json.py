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

"""`cpe add`, `cpe list`, `cpe total` and `cpe catalog` through the real entry point, in-process."""

import json
import re

import pytest

from support import add_args, snapshot


def one_error_line(result) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")
    assert "Traceback" not in result.stderr + result.stdout
    return lines[0]


# -- add ---------------------------------------------------------------------------------------

def test_add_prints_the_id_and_the_new_ytd_total(cpe):
    first = cpe(*add_args(credits="2"))
    assert first.exit_code == 0, first.stderr
    assert "Added record 1" in first.stderr
    assert "year to date: 2.0" in first.stderr
    assert first.stdout == ""  # messages only: `id=$(cpe add ...)` captures no prose
    second = cpe(*add_args(credits="1.5", title="Second"))
    assert "Added record 2" in second.stderr
    assert "year to date: 3.5" in second.stderr


def test_add_json_prints_the_new_record_as_show_json_does(cpe):
    result = cpe(*add_args(credits="2"), "--json")
    assert result.exit_code == 0, result.stderr
    record = json.loads(result.stdout)
    assert record == json.loads(cpe("show", str(record["id"]), "--json").stdout)
    assert (record["id"], record["title"], record["credits"]) == (1, "Ethics for CPAs", 2)
    assert "Added record 1" in result.stderr  # the confirmation still goes to standard error


def test_add_outside_ytd_does_not_raise_the_ytd_total(cpe):
    cpe(*add_args(credits="2"))
    result = cpe(*add_args(credits="4", date="2025-12-31", title="Last year"))
    assert "year to date: 2.0" in result.stderr


def test_add_without_a_terminal_names_every_missing_option_and_writes_nothing(cpe, home):
    result = cpe("add", "--title", "Only a title")
    assert result.exit_code == 2
    line = one_error_line(result)
    for option in ("--credits", "--field", "--delivery", "--provider"):
        assert option in line
    assert "--title" not in line
    assert not home.exists()


def test_no_input_never_prompts_even_with_input_available(cpe):
    result = cpe("add", "--no-input", "--title", "x", input="1\nTaxes\n")
    assert result.exit_code == 2
    assert "missing required options: --credits, --field, --delivery, --provider" in result.stderr


# One bad value per option: each option reaches its rule. The rules themselves are tested on the core
# (test_credits.py, test_periods.py, test_records.py, test_catalog_and_matching.py).
@pytest.mark.parametrize("override, message", [
    ({"credits": "abc"}, "credits 'abc' is not a number"),
    ({"field": "acc"}, "field of study 'acc' is ambiguous"),
    ({"delivery": "hybrid"}, "unknown delivery method 'hybrid'"),
    ({"state": "ZZ"}, "unknown state 'ZZ'"),
    ({"date": "2026-06-12"}, "in the future"),
    ({"title": "x" * 301}, "at most 300"),
    ({"provider": " "}, "provider is required"),
    ({"description": "d" * 5001}, "at most 5000"),
    ({"source": "web"}, "unknown source 'web'"),
])
def test_invalid_add_is_one_line_exit_2_and_changes_nothing(cpe, home, override, message):
    assert cpe(*add_args(title="Seed")).exit_code == 0
    before = snapshot(home)
    result = cpe(*add_args(**override))
    assert result.exit_code == 2
    assert message in one_error_line(result)
    assert snapshot(home) == before


def test_non_standard_increment_is_added_with_a_warning_on_stderr(cpe):
    result = cpe(*add_args(credits="0.5", delivery="Group Live"))
    assert result.exit_code == 0
    assert "Warning:" in result.stderr and "Group Live" in result.stderr
    assert "Warning" not in result.stdout


def test_adding_a_duplicate_warns(cpe):
    cpe(*add_args())
    result = cpe(*add_args())
    assert result.exit_code == 0
    assert "duplicate of record 1" in result.stderr


# -- list --------------------------------------------------------------------------------------

def seed(cpe):
    cpe(*add_args(title="Old", date="2025-03-01", credits="3", field="Taxes"))
    cpe(*add_args(title="Spring", date="2026-03-01", credits="1.5", field="Auditing", source="lumiq"))
    cpe(*add_args(title="June", date="2026-06-10", credits="2", field="Taxes", state="NY"))


def test_list_json_has_the_contract_keys_newest_first(cpe):
    seed(cpe)
    rows = json.loads(cpe("list", "--format", "json", "--preset", "all").stdout)
    assert [row["title"] for row in rows] == ["June", "Spring", "Old"]
    assert list(rows[0]) == ["id", "date", "title", "credits", "field_of_study", "delivery_method", "provider",
                             "state", "source", "description", "certificate", "tags"]
    assert rows[0]["credits"] == 2 and rows[1]["credits"] == 1.5
    assert rows[0]["state"] == "NY" and rows[0]["certificate"] is None


def test_json_says_null_for_every_absent_value(cpe):
    """No state, no certificate, no description and no tags each read as absent the same way (null, or an
    empty list for the one list-valued key), never "" for one and null for another."""
    cpe(*add_args(title="Bare", date="2026-03-01"))
    for words in (("list", "--format", "json"), ("show", "1", "--json")):
        record = json.loads(cpe(*words).stdout)
        record = record[0] if isinstance(record, list) else record
        absent = {key: value for key, value in record.items() if value in (None, "", [])}
        expected = {"state": None, "description": None, "certificate": None, "tags": []}
        if words[0] == "show":
            expected.update(certificate_path=None, certificate_sha256=None, certificate_size=None)
        assert absent == expected, words


def test_list_filters_by_window_source_and_field(cpe):
    seed(cpe)
    titles = lambda *args: [r["title"] for r in json.loads(cpe("list", "--format", "json", *args).stdout)]
    assert titles() == ["June", "Spring"]                      # ytd by default
    assert titles("--source", "external", "--preset", "all") == ["June", "Old"]
    assert titles("--source", "lumiq") == ["Spring"]
    assert titles("--field", "tax", "--preset", "all") == ["June", "Old"]
    assert titles("--year", "2025") == ["Old"]
    assert titles("--from", "2026-03-01", "--to", "2026-03-01") == ["Spring"]
    assert titles("--to", "2026-02-28") == ["Old"]


def test_list_table_shows_records_and_the_window_total(cpe):
    seed(cpe)
    result = cpe("list")
    assert result.exit_code == 0
    assert "June" in result.stdout and "Spring" in result.stdout and "Old" not in result.stdout
    assert "2 records, 3.5 credits" in result.stdout
    assert result.stdout.index("June") < result.stdout.index("Spring")


def test_list_csv_is_the_export_columns_oldest_first(cpe):
    seed(cpe)
    lines = cpe("list", "--format", "csv", "--preset", "all").stdout.splitlines()
    assert lines[0] == ("id,date,title,credits,field_of_study,delivery_method,provider,state,source,description,"
                        "certificate,tags")
    assert [line.split(",")[2] for line in lines[1:]] == ["Old", "Spring", "June"]


def test_empty_window_says_so_and_points_at_the_rest(cpe):
    seed(cpe)
    result = cpe("list", "--preset", "last-7-days", "--source", "lumiq")
    assert result.exit_code == 0
    assert "no records" in result.stderr
    assert "1 record (1.5 credits) falls outside this window" in result.stderr


def test_list_table_does_not_pass_terminal_escapes_through(cpe, home):
    from cpe_cli.store.ledger import open_ledger
    cpe(*add_args())
    with open_ledger(home) as ledger:  # a record written by an older or foreign tool
        ledger.conn.execute("UPDATE records SET title = 'evil\x1b]0;pwned\x07\x1b[2J'")
    result = cpe("list")
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout
    assert "evil\\x1b]0;pwned" in result.stdout


def test_unknown_format_is_a_usage_error(cpe):
    result = cpe("list", "--format", "xml")
    assert result.exit_code == 2
    assert "unknown format 'xml'" in one_error_line(result)


# -- total -------------------------------------------------------------------------------------

@pytest.mark.parametrize("args, expected", [
    ((), "3.5"), (("--preset", "ytd"), "3.5"), (("--preset", "all-time"), "6.5"), (("--preset", "all"), "6.5"),
    (("--preset", "last-year"), "3.0"), (("--preset", "last-7-days"), "2.0"), (("--preset", "last-30-days"), "2.0"),
    (("--source", "lumiq"), "1.5"), (("--source", "external", "--preset", "all"), "5.0"),
    (("--field", "taxes"), "2.0"), (("--year", "2024"), "0.0"), (("--from", "2026-03-01"), "3.5"),
])
def test_total_for_each_preset_and_source(cpe, args, expected):
    seed(cpe)
    result = cpe("total", *args)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == expected + "\n"


@pytest.mark.parametrize("day, preset, inside", [
    ("2026-01-01", "ytd", True), ("2025-12-31", "ytd", False),
    ("2026-06-05", "last-7-days", True), ("2026-06-04", "last-7-days", False),
    ("2026-05-13", "last-30-days", True), ("2026-05-12", "last-30-days", False),
    ("2025-01-01", "last-year", True), ("2025-12-31", "last-year", True), ("2024-12-31", "last-year", False),
    ("2026-01-01", "last-year", False), ("2026-06-11", "ytd", True),
])
def test_preset_edges_through_the_cli(cpe, day, preset, inside):
    cpe(*add_args(date=day, credits="1"))
    assert cpe("total", "--preset", preset).stdout.strip() == ("1.0" if inside else "0.0")


def test_total_json(cpe):
    seed(cpe)
    data = json.loads(cpe("total", "--json", "--source", "external").stdout)
    assert data == {"total": 2.0, "count": 1, "from": "2026-01-01", "to": "2026-06-11", "source": "external",
                    "fields": [], "tags": [], "no_certificate": False, "batch": None}
    data = json.loads(cpe("total", "--json", "--preset", "all").stdout)
    assert data["from"] is None and data["to"] is None and data["total"] == 6.5 and data["count"] == 3


def test_exact_decimals_through_the_cli(cpe):
    for n in range(10):
        cpe(*add_args(credits="0.1", title=f"Tenth {n}", delivery="Independent Study"))
    assert cpe("total").stdout == "1.0\n"


def test_badge_shows_window_source_count_and_hint(cpe, monkeypatch):
    seed(cpe)
    monkeypatch.setattr("cpe_cli.cli.output.stdout_is_terminal", lambda: True)
    result = cpe("total", "--source", "external")
    assert result.exit_code == 0
    out = result.stdout
    assert "Total CPE Credits" in out and "2.0" in out
    assert "Jan 1, 2026 - Jun 11, 2026" in out
    assert "External (self-reported)" in out and "1 record" in out
    assert "1 record (3.0 credits) falls outside this window" in out and "--preset all-time" in out


@pytest.mark.parametrize("args, message", [
    (("total", "--year", "2025", "--from", "2025-01-01"), "--year cannot be combined with --from/--to"),
    (("total", "--preset", "quarterly"), "unknown preset 'quarterly'"),
    (("total", "--from", "2026-06-01", "--to", "2026-01-01"), "is after --to"),
    (("total", "--from", "2027-01-01"), "--from 2027-01-01 is after today (2026-06-11)"),
    (("list", "--year", "2027"), "--year 2027 starts after today (2026-06-11); no record is dated in the future"),
    (("total", "--source", "web"), "unknown source 'web'"),
    (("list", "--field", "zzz"), "unknown field of study 'zzz'"),
    (("total", "--bogus"), "No such option: --bogus"),
    (("show",), "Missing argument 'ID'."),
    (("edit", "--credits", "2"), "Missing argument 'ID'."),
    (("show", "5 is not x"), "'5 is not x' is not a record id: ids are whole numbers from 1 ('cpe list' shows them)"),
    (("show", "99999999999999999999"), "99999999999999999999 is not a record id: ids go up to 9223372036854775807"),
    # Click's closest candidates; --help only where it is the closest of them.
    (("total", "--feild", "tax"), "No such option: --feild (Possible options: --field) (see"),
    (("total", "--hepl"), "No such option: --hepl (Possible options: --field, --help) (see"),
    # A short option in the wrong case (a new user's -p for the provider's -P); none offered where none is.
    (("add", "-p", "AICPA"), "No such option: -p (Possible options: -P) (see 'cpe add --help')"),
    (("add", "-x", "1"), "No such option: -x (see 'cpe add --help')"),
    (("total", "--year", "twenty"), "'twenty' is not a valid int"),
    (("nosuchcommand",), "No such command 'nosuchcommand'"),
])
def test_usage_errors_are_one_line_exit_2(cpe, args, message):
    result = cpe(*args)
    assert result.exit_code == 2
    assert message in one_error_line(result)


def test_bad_cpe_today_is_reported(cpe, monkeypatch):
    monkeypatch.setenv("CPE_TODAY", "tomorrow")
    result = cpe("total")
    assert result.exit_code == 2
    assert "CPE_TODAY='tomorrow' is not an ISO date" in one_error_line(result)


def test_damaged_database_is_exit_1_one_line(cpe, home):
    home.mkdir()
    (home / "cpe.db").write_bytes(b"garbage" * 1000)
    result = cpe("total")
    assert result.exit_code == 1
    assert "not a SQLite database" in one_error_line(result)


def test_unexpected_errors_are_one_line_unless_debugging(cpe, monkeypatch):
    seed(cpe)

    def explode(*args, **kwargs):
        raise RuntimeError("boom")
    monkeypatch.setattr("cpe_cli.store.ledger.Ledger.total", explode)
    result = cpe("total")
    assert result.exit_code == 1
    assert "unexpected RuntimeError: boom" in one_error_line(result)
    monkeypatch.setenv("CPE_DEBUG", "1")
    with pytest.raises(RuntimeError, match="boom"):
        cpe("total")


# -- catalog and version -----------------------------------------------------------------------

def test_catalog_lists_every_vocabulary(cpe):
    out = cpe("catalog").stdout
    lines = out.splitlines()
    assert any(line.split() == ["Regulatory", "Ethics", "technical"] for line in lines)
    assert any(line.startswith("Behavioral Ethics") and "non-technical" in line for line in lines)
    assert any(line.startswith("Group Internet Based") and "Webinar" in line and "GIB" in line for line in lines)
    assert any(line.split(None, 1) == ["MP", "Northern Mariana Islands"] for line in lines)
    kinds = [line.index("technical") for line in lines if line.endswith(("  technical", " technical"))]
    assert len(set(kinds)) <= 1  # aligned: the kind column starts at one place
    data = json.loads(cpe("catalog", "states", "--json").stdout)
    assert len(data["states"]) == 55
    assert len(json.loads(cpe("catalog", "fields", "--json").stdout)["fields"]) == 20


def test_version(cpe):
    result = cpe("--version")
    assert result.exit_code == 0
    assert re.fullmatch(r"cpe \d+\.\d+\.\d+\n", result.stdout)


def test_list_limit_keeps_the_newest_in_each_format(cpe):
    seed(cpe)
    assert [r["title"] for r in json.loads(cpe("list", "--format", "json", "--preset", "all", "-n", "2").stdout)] == \
        ["June", "Spring"]
    csv_lines = cpe("list", "--format", "csv", "--preset", "all", "--limit", "2").stdout.splitlines()
    assert [line.split(",")[2] for line in csv_lines[1:]] == ["Spring", "June"]  # the newest two, oldest first
    table = cpe("list", "--preset", "all", "--limit", "1")
    assert "June" in table.stdout and "Spring" not in table.stdout
    assert "3 records, 6.5 credits" in table.stdout  # the caption still counts the whole view
    assert "showing the newest 1 of 3 records" in table.stderr
    assert cpe("list", "--limit", "-1").exit_code == 2


def test_table_fits_the_terminal_width_and_wraps_long_titles(cpe, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    cpe(*add_args(title="A very long course title that cannot possibly fit in one narrow column of the table"))
    lines = cpe("list").stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert sum("A very" in line for line in lines) == 1 and any("column" in line for line in lines)
    assert len(lines) > 8  # the title was wrapped inside its column, not cut


def test_cpe_alone_prints_the_help(cpe):
    result = cpe()
    assert result.exit_code == 0
    assert result.stdout.startswith("Usage: cpe [OPTIONS] COMMAND [ARGS]...")
    assert "\n  total " in result.stdout and result.stderr == ""


def test_the_list_names_the_records_its_window_leaves_out(cpe):
    """A list shows this year by default: last year's record without a certificate is named on standard
    error, as the badge names it, so an audit check with --no-certificate does not miss it silently."""
    seed(cpe)
    listed = cpe("list", "--no-certificate")
    assert "June" in listed.stdout and "Old" not in listed.stdout
    assert listed.stderr == "Note: 1 record (3.0 credits) falls outside this window; see it with --preset all-time\n"
    cpe(*add_args(title="Older", credits="2", date="2024-05-01"))
    two = cpe("list", "--no-certificate").stderr
    assert two == "Note: 2 records (5.0 credits) fall outside this window; see them with --preset all-time\n"
    assert cpe("list", "--preset", "all", "--no-certificate").stderr == ""
    assert cpe("list", "--format", "csv").stderr == ""  # data formats say nothing

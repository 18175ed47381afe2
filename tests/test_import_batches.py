"""Issue 12: every import that adds records is a batch; --history lists them, --undo takes one back (to the
trash, so `cpe rm --undo` brings it back), `list --batch` shows one, and `import --json` names it."""

from __future__ import annotations

import json
import sqlite3

import pytest

from support import PLATFORM_HEADER, only_error, platform_row, snapshot, write_rows


def rows_file(tmp_path, name, titles, day="2026-06-01"):
    return write_rows(tmp_path / name, PLATFORM_HEADER, [platform_row(title=title, day=day) for title in titles])


def imported(cpe, *args, **kwargs) -> dict:
    result = cpe("import", *args, "--json", **kwargs)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def history(cpe) -> list[dict]:
    result = cpe("import", "--history", "--json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def records(home) -> list[tuple]:
    """Every record row as stored, every column (the trash must give back each of them)."""
    conn = sqlite3.connect(home / "cpe.db")
    try:
        return conn.execute("SELECT * FROM records ORDER BY id").fetchall()
    finally:
        conn.close()


def titles(cpe, *args) -> list[str]:
    return sorted(r["title"] for r in json.loads(cpe("list", "--format", "json", *args).stdout))


def test_each_import_that_adds_records_is_a_batch_named_in_json_and_history(cpe, home, tmp_path):
    first = rows_file(tmp_path, "first.csv", ["A", "B", "A"])  # the second A is a duplicate row
    assert imported(cpe, str(first)) == {"imported": 2, "skipped": 1, "batch": 1, "dry_run": False}
    second = rows_file(tmp_path, "second.csv", ["C"], day="2024-03-01")
    assert imported(cpe, "-", input=second.read_text()) == {"imported": 1, "skipped": 0, "batch": 2,
                                                           "dry_run": False}
    # Nothing added (a dry run, or every row a duplicate): no batch, so nothing to list or undo.
    assert imported(cpe, str(first), "--dry-run")["batch"] is None
    assert imported(cpe, str(first)) == {"imported": 0, "skipped": 3, "batch": None, "dry_run": False}
    found = history(cpe)
    assert [(b["batch"], b["file"], b["imported"], b["skipped"], b["in_ledger"]) for b in found] == [
        (1, str(first), 2, 1, 2), (2, "-", 1, 0, 1)]
    added_at = sqlite3.connect(home / "cpe.db").execute("SELECT DISTINCT added_at FROM records WHERE "
                                                        "import_batch = 1").fetchall()
    assert [found[0]["imported_at"]] == [row[0] for row in added_at]  # one time for the batch and its records
    table = cpe("import", "--history")
    assert table.exit_code == 0 and table.stderr == ""
    lines = table.stdout.splitlines()
    assert lines[0].split() == ["Batch", "Imported", "at", "(UTC)", "File", "Imported", "Skipped", "In", "ledger"]
    assert lines[2].split()[-3:] == ["2", "1", "2"] and str(first) in lines[2]
    assert lines[3].split()[-4:] == ["-", "1", "0", "1"]
    # Records removed by hand are no longer counted as in the ledger.
    assert cpe("rm", "1", "--yes").exit_code == 0
    assert [b["in_ledger"] for b in history(cpe)] == [1, 1]
    assert cpe("rm", "--undo").exit_code == 0  # the trash keeps every column: the record is of batch 1 again
    assert [b["in_ledger"] for b in history(cpe)] == [2, 1]


def test_a_refused_import_and_a_read_make_no_batch_and_no_home(cpe, home, tmp_path):
    bad = write_rows(tmp_path / "bad.csv", PLATFORM_HEADER, [platform_row(), platform_row(credits="0")])
    assert cpe("import", str(bad), "--json").exit_code == 2
    assert not home.exists()
    result = cpe("import", "--history")
    assert result.exit_code == 0 and result.stdout == "" and "No imports yet" in result.stderr
    assert json.loads(cpe("import", "--history", "--json").stdout) == []
    assert "no import to undo" in only_error(cpe("import", "--undo"))
    assert not home.exists()


def test_list_total_and_export_take_a_batch_whatever_its_dates(cpe, tmp_path):
    imported(cpe, str(rows_file(tmp_path, "old.csv", ["Old one", "Old two"], day="2023-05-05")))
    imported(cpe, str(rows_file(tmp_path, "new.csv", ["New"])))
    assert titles(cpe, "--batch", "1") == ["Old one", "Old two"]  # all dates: a batch is seen whole
    assert titles(cpe, "--batch", "1", "--year", "2026") == []  # a window given still applies
    assert titles(cpe, "--batch", "2") == ["New"]
    assert titles(cpe, "--batch", "3") == []
    total = json.loads(cpe("total", "--batch", "1", "--json").stdout)
    assert (total["total"], total["count"], total["batch"], total["from"]) == (4.0, 2, 1, None)
    exported = cpe("export", "csv", "--batch", "2").stdout.splitlines()
    assert len(exported) == 2 and ",New," in exported[1]
    table = cpe("list", "--batch", "1").stdout
    assert table.splitlines()[0] == "CPE records: all dates (All sources · import batch 1)"
    assert "--batch" in only_error(cpe("list", "--batch", "0", route="typer"))


def test_undo_moves_the_latest_batch_to_the_trash_and_rm_undo_brings_it_back_whole(cpe, home, tmp_path):
    folder = tmp_path / "with-certificates"
    folder.mkdir()
    (folder / "cert.pdf").write_bytes(b"%PDF certificate")
    write_rows(folder / "x.csv", (*PLATFORM_HEADER, "Certificate", "Tags"),
               [[*platform_row(title="Kept"), "", ""]])
    imported(cpe, str(folder / "x.csv"))
    write_rows(folder / "y.csv", (*PLATFORM_HEADER, "Certificate", "Tags"),
               [[*platform_row(title="One"), "cert.pdf", "fraud"], [*platform_row(title="Two", day="2025-01-02"),
                                                                     "", ""]])
    imported(cpe, str(folder / "y.csv"))
    before = records(home)
    assert [row[-1] for row in before] == [1, 2, 2]  # import_batch, the last column
    undone = cpe("import", "--undo", "--json")
    assert undone.exit_code == 0, undone.stderr
    assert json.loads(undone.stdout) == {"batch": 2, "undone": 2, "credits": 4.0, "edited": 0}
    assert "Undid import batch 2" in undone.stderr and "cpe rm --undo" in undone.stderr
    assert titles(cpe, "--preset", "all") == ["Kept"]
    assert [b["in_ledger"] for b in history(cpe)] == [1, 0]
    assert len(list((home / "certificates").glob("*.pdf"))) == 1  # the trash still names the file
    assert cpe("verify").exit_code == 0
    # Batch 2 has nothing left: the default goes to the latest batch that still has records.
    assert "has no records left" in only_error(cpe("import", "--undo", "2"))
    assert cpe("rm", "--undo").exit_code == 0
    assert records(home) == before  # every column back, the batch and the certificate included
    assert cpe("verify").exit_code == 0
    assert [b["in_ledger"] for b in history(cpe)] == [1, 2]
    assert json.loads(cpe("import", "--undo", "1", "--json").stdout)["batch"] == 1
    assert titles(cpe, "--preset", "all") == ["One", "Two"]


def test_undo_of_edited_records_is_refused_without_yes_and_changes_nothing(cpe, home, tmp_path):
    imported(cpe, str(rows_file(tmp_path, "a.csv", ["A", "B", "C"])))
    assert cpe("edit", "2", "--credits", "3").exit_code == 0
    assert cpe("edit", "3", "--title", "C (revised)").exit_code == 0
    before = snapshot(home)
    line = only_error(cpe("import", "--undo"))  # standard input is not a terminal: no question, a refusal
    assert "2 of the 3 records of import batch 1" in line and "--yes" in line
    assert cpe("import", "--undo").exit_code == 2
    assert snapshot(home) == before
    result = cpe("import", "--undo", "1", "--yes", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == {"batch": 1, "undone": 3, "credits": 7.0, "edited": 2}
    assert titles(cpe, "--preset", "all") == []
    assert cpe("rm", "--undo").exit_code == 0
    assert titles(cpe, "--preset", "all") == ["A", "B", "C (revised)"]  # the edits come back with them


def test_on_a_terminal_undo_of_edited_records_asks_first(cpe, tmp_path, monkeypatch):
    from cpe_cli.cli import form, output

    imported(cpe, str(rows_file(tmp_path, "a.csv", ["A", "B"])))
    assert cpe("edit", "1", "--credits", "3").exit_code == 0
    monkeypatch.setattr(output, "stdin_is_terminal", lambda: True)
    asked = []
    monkeypatch.setattr(form, "confirm", lambda question: asked.append(question) or False)
    result = cpe("import", "--undo")
    assert result.exit_code == 1 and "nothing undone" in result.stderr
    assert "1 record of import batch 1 (" in asked[0] and "Undo all 2, edits included?" in asked[0]
    assert titles(cpe, "--preset", "all") == ["A", "B"]
    monkeypatch.setattr(form, "confirm", lambda question: True)
    assert cpe("import", "--undo").exit_code == 0
    assert titles(cpe, "--preset", "all") == []


@pytest.mark.parametrize("route", [None, "typer"])
def test_unknown_batches_and_arguments_that_do_not_fit_are_one_error_line(cpe, home, tmp_path, route):
    csv_file = rows_file(tmp_path, "a.csv", ["A"])
    imported(cpe, str(csv_file))
    before = snapshot(home)
    cases = [
        (["import", "--undo", "9"], 1, "no import batch 9 ('cpe import --history' lists the imports)"),
        (["import", "--undo", "x.csv"], 2, "--undo takes an import batch id"),
        (["import", "--undo", "0"], 2, "--undo takes an import batch id"),
        (["import", "--history", str(csv_file)], 2, "--history lists the imports and takes no file"),
        (["import", "--history", "--undo"], 2, "not both"),
        (["import", "--undo", "--dry-run"], 2, "--dry-run goes with importing a file, not with --undo"),
        (["import", "--history", "--map", "A=title"], 2, "--map goes with importing a file"),
        (["import", "--history", "--yes"], 2, "--yes goes with --undo"),
        (["import", str(csv_file), "--yes"], 2, "--yes goes with --undo"),
        (["import"], 2, "give the file to import"),
    ]
    for args, code, words in cases if route is None else cases[::3]:  # the Typer route is slower: a sample
        result = cpe(*args, route=route)
        assert result.exit_code == code, (args, result.stderr)
        assert words in only_error(result), args
    assert snapshot(home) == before


def test_an_edit_made_after_the_question_is_caught_when_the_undo_is_written(cpe, home, tmp_path):
    """The count of edited records is taken again inside the undo's write transaction: a record edited
    between the question and the undo (another terminal) makes the undo refuse, not take the edit along."""
    from datetime import date

    from cpe_cli.core.errors import CpeError
    from cpe_cli.ops import import_batches
    from cpe_cli.store.ledger import open_ledger

    imported(cpe, str(rows_file(tmp_path, "a.csv", ["One", "Two"])))
    with open_ledger(home) as ledger:
        plan = import_batches.plan_undo(ledger, None)
    assert plan.edited == 0
    assert cpe("edit", "1", "--credits", "3").exit_code == 0  # after the plan said "nothing edited"
    before = records(home)
    with open_ledger(home) as ledger, pytest.raises(CpeError, match="1 of the 2 records of import batch 1"):
        import_batches.undo(ledger, plan.batch.id, date(2026, 6, 11), edited_allowed=plan.edited)
    assert records(home) == before

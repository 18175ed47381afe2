"""TAB completion answered without Typer gives exactly Typer's answer, or steps aside."""

import pytest

from cpe_cli.cli import completion as fastcomplete
from support import run_cpe


def typer_answer(words: str) -> str:
    parts = words.split(" ")
    env = {"_CPE_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": str(len(parts) - 1)}
    result = run_cpe(route="typer", env=env)
    assert result.exit_code == 0, result.stderr
    return result.stdout


def fast_answer(words: str) -> str | None:
    parts = words.split(" ")
    answer = fastcomplete.complete({"_CPE_COMPLETE": "complete_bash", "COMP_WORDS": words,
                                    "COMP_CWORD": str(len(parts) - 1)})
    return None if answer is None else answer[0]


ANSWERED = [
    "cpe ", "cpe t", "cpe l", "cpe e", "cpe x", "cpe -", "cpe --", "cpe --v",
    "cpe total ", "cpe total -", "cpe total --", "cpe total --p", "cpe total --preset ", "cpe total --preset l",
    "cpe total --preset last-", "cpe total -p ", "cpe total --preset all -", "cpe total -p ytd --",
    "cpe total --source ", "cpe total --source e", "cpe total --field ", "cpe total --field Acc",
    "cpe total --year ", "cpe total --from 2026-01-01 --",
    "cpe total --preset=", "cpe total --preset=l", "cpe total --json -",
    "cpe list --format ", "cpe list --", "cpe add --", "cpe add --field T", "cpe add --delivery ",
    "cpe add --state NY", "cpe add --source ", "cpe add --title x --", "cpe catalog ", "cpe catalog f",
    "cpe export ", "cpe export c", "cpe export csv --", "cpe export zip --pre", "cpe import --source ",
    "cpe show ", "cpe rm --", "cpe edit 1 --field Per", "cpe import ", "cpe import x.csv --",
    "cpe total x ",
]


@pytest.mark.parametrize("words", ANSWERED)
def test_fast_answer_equals_typers(words):
    """Same candidates; order aside, since bash sorts them and Click's own help-option
    order varies between processes (it takes the help option names from a set)."""
    fast = fast_answer(words)
    assert fast is not None, "expected the fast path to answer"
    assert fast.endswith("\n")
    assert sorted(fast.splitlines()) == sorted(typer_answer(words).splitlines())


@pytest.mark.parametrize("words", ["cpe add --certificate ", "cpe total -- ", "cpe total --bogus ",
                                   "cpe total --preset 'la", "cpe rm -yv "])
def test_unusual_requests_are_left_to_typer(words):
    assert fast_answer(words) is None


def test_zsh_and_fish_are_answered_and_other_shells_left_to_typer():
    zsh, code = fastcomplete.complete({"_CPE_COMPLETE": "complete_zsh", "_TYPER_COMPLETE_ARGS": "cpe t"})
    assert code == 0 and "_cpe_values=('total')" in zsh
    fish, code = fastcomplete.complete({"_CPE_COMPLETE": "complete_fish", "_TYPER_COMPLETE_FISH_ACTION": "get-args",
                                        "_TYPER_COMPLETE_ARGS": "cpe t"})
    assert (fish, code) == ("total", 0)
    assert fastcomplete.complete({"_CPE_COMPLETE": "complete_powershell", "_TYPER_COMPLETE_ARGS": "cpe "}) is None
    assert fastcomplete.complete({}) is None


def test_a_negative_word_index_is_left_to_typer():
    assert fastcomplete.complete({"_CPE_COMPLETE": "complete_bash", "COMP_WORDS": "cpe ", "COMP_CWORD": "-1"}) is None


def test_the_installed_script_answers_on_the_fast_route(cpe_process):
    result = cpe_process(env={"_CPE_COMPLETE": "complete_bash", "COMP_WORDS": "cpe list --sort", "COMP_CWORD": "2"})
    assert (result.returncode, result.stdout, result.stderr) == (0, "--sort\n", "")


@pytest.mark.parametrize("words, expected", [
    ("cpe total --field acc", ["Accounting", "Accounting (Governmental)"]),  # Typer's own filter is case-sensitive
    ("cpe add --state cal", ["CA"]),  # by name as well as by code
    ("cpe add --state n", ["NE", "NV", "NH", "NJ", "NM", "NY", "NC", "ND", "MP"]),
    ("cpe add --delivery SELF", []), ("cpe add --delivery qas", ["QAS Self Study"]),
])
def test_values_match_without_regard_to_case(words, expected):
    assert [line for line in fast_answer(words).splitlines() if line] == expected


def test_field_filters_offer_the_groups_of_tracked_profiles(cpe):
    """--field <TAB> offers California's field groups once it is tracked (not its tag group, fraud), the same
    way on both routes; before, only the built-in groups."""
    from support import add_args

    assert "aa" not in fast_answer("cpe total --field a").split()
    assert cpe(*add_args(title="Audit")).exit_code == 0
    assert cpe("profile", "use", "ca", "--period-end", "2027-03-31").exit_code == 0
    offered = fast_answer("cpe total --field ").split("\n")
    assert "aa" in offered and "government" in offered and "fraud" not in offered
    assert offered.count("ethics") == 1 and not any(":" in word for word in offered)
    assert sorted(fast_answer("cpe list --field g").splitlines()) == \
        sorted(typer_answer("cpe list --field g").splitlines()) == ["government"]

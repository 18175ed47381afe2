"""Commands that only read never create a home: a mistyped CPE_HOME reads as empty and says where it looked."""

import pytest


@pytest.mark.parametrize("args", [["total"], ["total", "--json"], ["list"], ["list", "--format", "json"],
                                  ["export", "csv"], ["total", "--by", "month"], ["status"], ["info"],
                                  ["profile", "list"]])
def test_a_read_creates_nothing(cpe, home, args):
    result = cpe(*args)
    assert result.exit_code == 0, result.stderr
    assert not home.exists()


def test_the_note_says_where_it_looked(cpe, home):
    result = cpe("total")
    assert result.stdout == "0.0\n"
    assert f"Note: no ledger in {home} yet" in result.stderr

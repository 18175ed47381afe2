"""The folders cpe creates to reach a new home are private (0700) whatever the umask, like the home itself.

`CPE_HOME=~/records/cpe/2026` on a fresh machine makes cpe create `records/`, `cpe/` and `2026/`: under
umask 000 `mkdir -p` would leave the upper ones 0777, open to every user of the machine.
"""

from __future__ import annotations

import os
import stat

import pytest

from support import add_args


def modes(top, home) -> dict[str, str]:
    found = {}
    folder = home
    while True:
        found[str(folder.relative_to(top))] = oct(stat.S_IMODE(os.stat(folder).st_mode))
        if folder.parent == top:
            return found
        folder = folder.parent


@pytest.fixture
def umask_000():
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


@pytest.mark.parametrize("how", ["add", "import"])  # a read (total) makes no folder at all
def test_every_folder_made_above_a_new_home_is_0700_under_umask_000(cpe, tmp_path, monkeypatch, umask_000, how):
    top = tmp_path / "fresh"
    top.mkdir(mode=0o755)
    home = top / "records" / "cpe" / "2026"
    monkeypatch.setenv("CPE_HOME", str(home))
    if how == "add":
        result = cpe(*add_args())
    elif how == "import":
        csv_file = tmp_path / "x.csv"
        csv_file.write_text("title,credits,field_of_study,delivery_method,date,provider\n"
                            "T,1,Taxes,Group Live,2026-05-01,P\n")
        result = cpe("import", str(csv_file))
    else:
        result = cpe("total")
    assert result.exit_code == 0, result.stderr
    assert modes(top, home) == {"records/cpe/2026": "0o700", "records/cpe": "0o700", "records": "0o700"}
    assert oct(stat.S_IMODE(os.stat(home / "cpe.db").st_mode)) == "0o600"


def test_existing_folders_above_the_home_are_left_as_they_are(cpe, tmp_path, monkeypatch, umask_000):
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o755)
    monkeypatch.setenv("CPE_HOME", str(shared / "cpe"))
    assert cpe(*add_args()).exit_code == 0
    assert oct(stat.S_IMODE(os.stat(shared).st_mode)) == "0o755"

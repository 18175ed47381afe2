"""The built-in profiles, read by TOML at build time (``core/profiles_data.py``), are the profiles the files say.

``python -m cpe_cli.core.profiles_build --write`` regenerates the data after a change to a file in
``cpe_cli/profiles/``; until then a changed file is read with ``tomllib``, never from stale data.
"""

from __future__ import annotations

import pytest

from cpe_cli.core import profiles, profiles_build, profiles_data


def test_profiles_data_is_generated_from_the_current_files():
    assert profiles_build.DATA_FILE.read_text(encoding="utf-8") == profiles_build.current_source(), \
        "stale: run python -m cpe_cli.core.profiles_build --write"


@pytest.mark.parametrize("profile_id", profiles.BUILTIN_IDS)
def test_the_stored_data_gives_the_profile_the_file_gives(profile_id):
    text = (profiles_build.PROFILES_DIR / f"{profile_id}.toml").read_text(encoding="utf-8")
    from_file = profiles.parse_profile(text, "x")
    for _ in range(2):  # and parsing does not change the stored data
        assert profiles.parse_profile(text, "x", profiles_data.DATA[profile_id]) == from_file
    assert profiles.profile_as_dict(profiles.parse_profile(text, "x", profiles_data.DATA[profile_id])) == \
        profiles.profile_as_dict(from_file)


def test_a_file_changed_since_the_build_is_read_with_toml(monkeypatch):
    monkeypatch.setitem(profiles_data.SOURCES, "ny", "# the file as it was\n")
    monkeypatch.setitem(profiles_data.DATA, "ny", {"schema": 1, "id": "ny", "name": "stale", "period": {"months": 1}})
    builtin = getattr(profiles._builtin, "__wrapped__", profiles._builtin)
    assert builtin("ny").name != "stale"

"""Field groups named by the profiles a user tracks, for ``--field`` (issue 13).

``--field ethics`` works everywhere (``core.catalog.FIELD_GROUPS``); a tracked
profile may name more sets of fields (California's ``aa``, accounting and
auditing; its ``government``). Those are offered too, by name (``aa``) or
qualified by the profile (``ca:aa``), but only for profiles the user
tracks: an untracked profile's words would be surprising in a filter.

Only a group made of fields alone is a field filter: a group that also
counts tags or delivery methods (California's ``fraud`` is a tag) cannot be
expressed by ``--field`` and is left out; its words are in ``cpe profile
show``. Read lazily: a plain ``--field tax`` never opens a profile.
"""

from __future__ import annotations

import os

from ..core.profiles import load_profiles
from ..store import compliance as stored
from ..store.ledger import DATABASE_NAME, open_ledger


def tracked_field_groups(home, tracked: list[str] | None = None) -> dict[str, tuple[str, ...]]:
    """{name: fields} for the tracked profiles' field-only groups: ``profile:group`` always, and the bare
    group name when no two tracked profiles give it different fields. ``tracked``: the ids, when the caller
    has read them already (TAB completion, through ``store.peek``)."""
    if tracked is None:
        if not os.path.isfile(os.path.join(home, DATABASE_NAME)):
            return {}
        with open_ledger(home, create=False) as ledger:
            tracked = [item.profile_id for item in stored.tracked_profiles(ledger)]
    if not tracked:
        return {}
    profiles = load_profiles(home, wanted=tracked)
    qualified: dict[str, tuple[str, ...]] = {}
    bare: dict[str, set[tuple[str, ...]]] = {}
    for profile_id in tracked:
        profile = profiles.get(profile_id)
        if profile is None:
            continue
        for group in profile.groups:
            if not group.fields or group.methods or group.tags:
                continue
            qualified[f"{profile_id}:{group.name}"] = group.fields
            bare.setdefault(group.name, set()).add(group.fields)
    named = {name: next(iter(choices)) for name, choices in bare.items() if len(choices) == 1}
    return {**named, **qualified}

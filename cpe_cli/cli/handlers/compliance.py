"""What ``cpe profile list|show|use|drop`` and ``cpe status`` do: core calls in, output out.

Handlers shared by the Typer app and the fast route (see ``handlers/ledger.py``).
``status`` answers "am I compliant, what do I still need, by when?" for each
tracked profile; ``--check`` turns the answer into an exit code (3 when a
profile is short) for cron jobs and shell prompts.
"""

from __future__ import annotations

from decimal import Decimal

from .. import output
from ...core.environment import resolve_home, resolve_home_text, resolve_today
from ...core.errors import INVALID_INPUT, STATUS_SHORT

BAR_WIDTH = 20


def _hours(value: Decimal) -> str:
    return output.credits(value)


def _number(value: Decimal) -> float | int:
    """Hours as a JSON number (exact: at most two decimals)."""
    return int(value) if value == value.to_integral_value() else float(value)


def _tracking_words(listed) -> str:
    if listed.tracked is None:
        return "not tracked"
    return "; ".join(["tracked", *_settings(listed.tracked)])


def _settings(tracked) -> list[str]:
    """How a profile is tracked, in words: its period end and declared work, where there are any."""
    parts = []
    if tracked.period_end:
        parts.append(f"period ending {tracked.period_end.isoformat()}")
    if tracked.declared:
        parts.append("declared " + ", ".join(sorted(tracked.declared)))
    return parts


def profile_list(*, as_json=False) -> None:
    from ...ops.compliance import list_profiles

    listed = list_profiles(resolve_home_text())
    if as_json:
        output.data_json([{
            "id": item.profile.id, "name": item.profile.name, "jurisdiction": item.profile.jurisdiction,
            "origin": item.profile.origin, "tracked": item.tracked is not None,
            "period_end": item.tracked.period_end.isoformat() if item.tracked and item.tracked.period_end else None,
            "declared": sorted(item.tracked.declared) if item.tracked else [],
            "as_of": item.profile.as_of.isoformat() if item.profile.as_of else None} for item in listed])
        return
    width = max(len(item.profile.id) for item in listed)
    lines = [f"{item.profile.id:<{width}}  {item.profile.name}  [{item.profile.origin}]  {_tracking_words(item)}"
             for item in listed]
    output.data(output.plain("\n".join(lines), keep="\n"))  # names from profile files: anything, escaped
    if not any(item.tracked for item in listed):
        output.message("Track one with 'cpe profile use ID' (e.g. 'cpe profile use ny', "
                       "'cpe profile use ca --period-end 2027-03-31').")


def profile_show(*, profile_id: str, as_json=False) -> None:
    from ...core.compliance import describe_period, explain
    from ...core.profiles import profile_as_dict, tags_read
    from ...ops.compliance import show_profile

    today = resolve_today()
    item = show_profile(resolve_home_text(), profile_id)
    profile, tracked = item.profile, item.tracked
    declared = tracked.declared if tracked else frozenset()
    period_end = tracked.period_end if tracked else None
    rules = explain(profile, declared, as_of=today, period_end=period_end)
    if as_json:
        output.data_json({**profile_as_dict(profile), "tracked": tracked is not None,
                          "period_end": period_end.isoformat() if period_end else None,
                          "declared": sorted(declared), "tags_read": tags_read(profile), "explained": rules})
        return
    lines = [f"{profile.name} ({profile.id})",
             f"  Jurisdiction: {profile.jurisdiction or '-'}    Rules checked: "
             f"{profile.as_of.isoformat() if profile.as_of else 'not stated'}    From: {profile.origin}",
             *_wrapped([f"Periods: {describe_period(profile)}"], "  ", "    "),
             f"  Tracking: {_tracking_words(item)}", "", "Rules:"]
    for rule in rules:
        mark = "" if rule["applies"] else "  (does not apply: not declared)"
        approx = "  [approximate]" if rule["exact"] is False else ""
        lines += _wrapped([f"{rule['id']}: {rule['text']}{approx}{mark}"], "  ", "      ")
        for window in rule.get("windows", []):
            lines.append(f"      now: {window['id']} from {window['start']} to {window['end']}")
        if rule["note"]:
            lines += _wrapped([f"note: {rule['note']}"], "      ", "        ")
        if rule["cite"]:
            lines += _wrapped([f"source: {rule['cite']}"], "      ", "        ")
    tags = tags_read(profile)
    lines += ["", "Tags it reads: " + (", ".join(tags) if tags else "none"),
              "  (tag a record with 'cpe add --tag TAG' or 'cpe edit ID --tag TAG')" if tags else ""]
    lines += ["Sources:", *_wrapped(profile.sources, "  ", "    ")]  # an address stays whole
    if profile.notes:
        lines += ["Notes (not modelled, or approximate):", *_wrapped(profile.notes, "  - ", "    ")]
    output.data(output.plain("\n".join(line for line in lines if line is not None), keep="\n"))


def profile_use(*, profile_id: str, period_end=None, declare=None) -> None:
    from ...ops.compliance import use_profile

    item, change = use_profile(resolve_home(), profile_id, period_end, declare or [])
    verb = {"new": "Tracking", "changed": "Now tracking", "same": "Already tracking"}[change]
    settings = "; ".join(_settings(item.tracked))
    output.message(f"{verb} {item.profile.name} ({item.profile.id}){', ' + settings if settings else ''}"
                   f"{' (nothing changed)' if change == 'same' else ''}. See where you stand with 'cpe status'.")


def profile_drop(*, profile_id: str) -> None:
    from ...ops.compliance import drop_profile

    dropped = drop_profile(resolve_home(), profile_id)
    output.message(f"Stopped tracking {dropped}.")


def status(*, profile_ids=None, as_of=None, period_end=None, declare=None, as_json=False, check=False,
           warn_days=None) -> int:
    from ...core.errors import CpeError
    from ...ops.compliance import evaluate

    if warn_days is not None and warn_days < 0:
        raise CpeError.invalid(f"--warn-days {warn_days} is negative")
    home = resolve_home_text()  # a str: the read path needs no pathlib (ops.compliance)
    when, results = evaluate(home, resolve_today(), as_of=as_of, profile_ids=profile_ids, period_end=period_end,
                             declared=declare)
    if not results:
        output.message("No profile is tracked. Track your board's rules with 'cpe profile use ID' "
                       "(see 'cpe profile list'), or evaluate one with 'cpe status --profile ID'.")
        if check or not as_json:  # --json goes on: a script reading the JSON gets JSON (no profile)
            return INVALID_INPUT if check else 0
    if check:
        counted = [item for item in results if warn_days is None or item.status.days_left <= warn_days]
        for item in results:
            output.message(_verdict_line(item.status))
        return STATUS_SHORT if any(not item.status.met for item in counted) else 0
    if as_json:
        output.data_json({"as_of": when.isoformat(), "profiles": [_status_json(item) for item in results]})
        return 0
    blocks = [_status_text(item) for item in results]
    output.data(output.plain("\n\n".join(blocks), keep="\n"))  # profile names, notes, ids: escaped
    return 0


def _verdict_line(status) -> str:
    left = f"({output.plural(status.days_left, 'day')} left, period ends {status.period_end.isoformat()})"
    if status.met:
        return f"{status.id}: met {left}"
    missed = [r.id for r in status.requirements if r.missed]
    parts = []
    if status.hours_needed > 0:
        parts.append(f"short by {_hours(status.hours_needed)} hours")
    if missed:
        parts.append(f"missed {', '.join(missed)} (closed)")
    return f"{status.id}: {'; '.join(parts)} {left}"


def _status_json(item) -> dict:
    status = item.status
    return {
        "id": status.id, "name": status.name, "tracked": item.tracked, "declared": sorted(item.declared),
        "period": {"start": status.period_start.isoformat(), "end": status.period_end.isoformat()},
        "days_left": status.days_left, "met": status.met, "hours_needed": _number(status.hours_needed),
        "requirements": [{
            "id": requirement.id, "name": requirement.name,
            "window": {"start": requirement.window_start.isoformat(), "end": requirement.window_end.isoformat()},
            "required": _number(requirement.required), "earned": _number(requirement.earned),
            "counted": _number(requirement.counted), "met": requirement.met, "exact": requirement.exact,
            "option": requirement.option, "note": requirement.note or None, "closed": requirement.closed,
            "not_counted": [{"cap": cap, "hours": _number(hours)} for cap, hours in requirement.cut_by]}
            for requirement in status.requirements],
        "notes": list(status.notes),
    }


def _bar(counted: Decimal, required: Decimal, width: int = BAR_WIDTH) -> str:
    share = 1 if required <= 0 else min(counted / required, 1)
    filled = int(share * width)
    return "█" * filled + "░" * (width - filled)


def _verdict(requirement) -> str:
    if requirement.met:
        return "met"
    if requirement.closed:
        return f"missed (ended {requirement.window_end.isoformat()})"
    return f"short by {_hours(requirement.shortfall)}"


def _status_text(item) -> str:
    from ..terminal import terminal_size

    status = item.status
    lines = [f"{status.name} ({status.id}): {status.period_start.isoformat()} to {status.period_end.isoformat()}, "
             f"{output.plural(status.days_left, 'day')} left"]
    width = max((len(requirement.id) for requirement in status.requirements), default=0)
    numbers = [f"{_hours(r.counted)} / {_hours(r.required)}" for r in status.requirements]
    number_width = max((len(text) for text in numbers), default=0)
    verdicts = [_verdict(r) + ("" if r.exact else " ≈") for r in status.requirements]
    # The bar takes what the terminal leaves (at most BAR_WIDTH, at least 5): a line never wraps at 80 columns.
    columns = terminal_size((100, 24))[0]
    used = 2 + 2 + width + 2 + number_width + 2 + 2 + max((len(v) for v in verdicts), default=0)
    bar_width = max(5, min(BAR_WIDTH, columns - 1 - used))
    approximate = []
    for requirement, numbers_text, verdict in zip(status.requirements, numbers, verdicts):
        mark = "✓" if requirement.met else "✗"
        lines.append(f"  {mark} {requirement.id:<{width}}  {numbers_text:>{number_width}}  "
                     f"{_bar(requirement.counted, requirement.required, bar_width)}  {verdict}")
        for cap, hours in requirement.cut_by:
            lines.append(f"      {_hours(hours)} hours beyond {cap} do not count "
                         f"(earned {_hours(requirement.earned)})")
        if not requirement.exact and requirement.note:
            approximate.append(f"≈ {requirement.id}: {requirement.note}")
    missed = [r for r in status.requirements if r.missed]
    if status.met:
        lines.append("  Met: every requirement of this period is satisfied.")
    elif status.hours_needed > 0:
        lines.append(f"  Short: at least {_hours(status.hours_needed)} more hours needed by "
                     f"{status.period_end.isoformat()}.")
    if missed:
        names = ", ".join(r.id for r in missed)
        lines += _wrapped([f"Missed: {names} ended short; hours earned now cannot count for "
                           f"{'it' if len(missed) == 1 else 'them'} (ask your board how to make up a deficiency)."],
                          "  ", "    ")
    lines += _wrapped(approximate, "  ", "    ")
    lines += _wrapped(status.notes, "  - ", "    ")
    return "\n".join(lines)


def _wrapped(texts, first: str, rest: str) -> list[str]:
    """Notes wrapped to the terminal (at most 100 columns), so they read at 80 columns too; a word (an
    address) longer than the line stays whole."""
    import textwrap

    from ..terminal import terminal_size

    width = min(terminal_size((100, 24))[0], 100)
    return [line for text in texts
            for line in textwrap.wrap(text, width=width, initial_indent=first, subsequent_indent=rest,
                                      break_long_words=False, break_on_hyphens=False)]

"""Compliance profiles: a board's (or a firm's) CPE rules, read from TOML.

A profile is data, not code, so that a CPA can read every rule next to its
source, check it, and write their own (issue 11, "Profiles"). The format is a
documented contract (README, "Writing a profile"), read with the standard
library's ``tomllib``; this module turns one file into plain frozen values and
refuses, with the file, the key and (for TOML syntax errors) the line, anything
it does not understand. An unknown key is an error rather than ignored: a
misspelt ``lookback_month`` silently dropped would make a rule look met when it
is not, which is the one failure a compliance tool must not have.

Nothing here evaluates a rule; ``compliance.py`` does, over these values.
Built-in profiles ship as TOML in ``cpe_cli/profiles``; a user's own live in
``$CPE_HOME/profiles/*.toml`` and override a built-in with the same id.
"""

from __future__ import annotations

import os
from collections import namedtuple
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from . import catalog
from .errors import CpeError
from .records import match_delivery, match_field
from .tags import normalize_tag

SCHEMA = 1
BUILT_IN = "built-in"
BUILTIN_IDS: tuple[str, ...] = ("aicpa", "ca", "ny", "tx", "fl", "il")
KINDS: tuple[str, ...] = ("min", "max", "any_of", "manual")
MAX_MONTHS = 120
MAX_LOOKBACK = 1200
MAX_HOURS = Decimal("10000")

# "@technical" / "@non-technical": the catalog's 13/7 split of the 20 NASBA
# fields (catalog.FIELD_GROUPS_SOURCE), so a profile need not repeat the list.
FIELD_SETS: dict[str, tuple[str, ...]] = {
    "@technical": tuple(f.name for f in catalog.FIELDS_OF_STUDY if f.technical),
    "@non-technical": tuple(f.name for f in catalog.FIELDS_OF_STUDY if not f.technical),
}

_TOP_KEYS = ("schema", "id", "name", "jurisdiction", "as_of", "sources", "notes", "period", "groups", "rule")
_PERIOD_KEYS = ("months", "anchor")
_GROUP_KEYS = ("fields", "methods", "tags")
_OPTION_KEYS = ("id", "name", "hours", "in")
_COMMON_RULE_KEYS = ("id", "kind", "name", "cite", "applies_if")
# The keys each kind accepts, beyond the common ones; a key valid for another
# kind gets an error that says which kinds take it.
_KIND_KEYS: dict[str, tuple[str, ...]] = {
    "min": ("hours", "in", "per", "lookback_months", "exact", "note"),
    "max": ("hours", "percent", "in", "applies_to", "exact", "note"),
    "any_of": ("options", "per", "lookback_months", "exact", "note"),
    "manual": ("text",),
}
_ID_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-")


# The values below are ``collections.namedtuple`` subclasses rather than frozen dataclasses: ``cpe status``
# imports this module on every run, and ``dataclasses`` costs 15-40 ms to import (it pulls in ``inspect``,
# ``ast``, ``dis`` and ``tokenize``) and about 1 ms per class to build, where ``collections`` is already
# loaded. They are immutable, compare and hash by value like the dataclasses they replace; ``_replace``
# stands in for ``dataclasses.replace``.


class Group(namedtuple("Group", "name fields methods tags field_sets", defaults=((), (), (), ()))):
    """A named set of records: those whose field, delivery method OR any tag is listed.

    ``fields`` holds canonical catalog names (aliases and ``@technical`` /
    ``@non-technical`` already expanded), in catalog order; ``field_sets``
    keeps the shorthands as written, for ``cpe profile show``.
    """

    __slots__ = ()

    def contains(self, field_of_study: str, delivery_method: str, tags) -> bool:
        """Whether a record with this field, method and tags is in the group (any one suffices)."""
        if field_of_study in self.fields or delivery_method in self.methods:
            return True
        if tags and self.tags:  # most records have no tag, most groups read none: no generator for them
            return any(tag in self.tags for tag in tags)
        return False


class Option(namedtuple("Option", "id hours in_group name", defaults=(None, ""))):
    """One way to meet an ``any_of`` rule: a min rule of ``hours``, in ``in_group`` if given."""

    __slots__ = ()


class Rule(namedtuple("Rule", "id kind name hours percent in_group per lookback_months exact note cite applies_to "
                              "applies_if options text",
                      defaults=("", None, None, None, None, None, True, "", "", None, (), (), ""))):
    """One ``[[rule]]`` table. Which attributes are set depends on ``kind``.

    ``min``: ``hours`` (in ``in_group`` if set), over the period, each year
    (``per == "year"``) or the last ``lookback_months``. ``max``: a cap of
    ``hours`` or ``percent`` on ``in_group``, for the rules in ``applies_to``
    (None: the default, every min rule and any_of option without ``in``).
    ``any_of``: ``options``. ``manual``: ``text``, shown and never evaluated.
    ``applies_if`` empty means the rule always applies.
    """

    __slots__ = ()

    @property
    def is_requirement(self) -> bool:
        """min and any_of rules are requirements; caps and manual rules are not (issue 11, "Semantics")."""
        return self.kind in ("min", "any_of")

    def applies(self, declared) -> bool:
        """A rule with ``applies_if`` counts only when one of its words was declared."""
        return not self.applies_if or any(word in declared for word in self.applies_if)


class Profile(namedtuple("Profile", "id name months jurisdiction as_of sources notes anchor groups rules origin schema",
                         defaults=(None, None, (), (), None, (), (), BUILT_IN, SCHEMA))):
    """A parsed, validated profile. ``origin`` is "built-in" or the path of the user's file."""

    __slots__ = ()

    @property
    def needs_period_end(self) -> bool:
        """Without an anchor the user's own period end is needed (``--period-end``)."""
        return self.anchor is None

    def group(self, name: str) -> Group:
        # A scan, not a dict kept beside the tuple: a profile has a handful of groups.
        for group in self.groups:
            if group.name == name:
                return group
        raise KeyError(name)

    def rule(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)

    def cap_targets(self, cap: Rule) -> tuple[tuple[str, str | None], ...]:
        """The (rule id, option id or None) pairs a cap limits.

        By default every min rule and any_of option without ``in``; a cap
        naming an any_of rule limits each of its options (issue 11, "Caps").
        """
        targets: list[tuple[str, str | None]] = []
        for rule in self.rules:
            if cap.applies_to is None:
                if rule.kind == "min" and rule.in_group is None:
                    targets.append((rule.id, None))
                elif rule.kind == "any_of":
                    targets.extend((rule.id, option.id) for option in rule.options if option.in_group is None)
            elif rule.id in cap.applies_to:
                if rule.kind == "min":
                    targets.append((rule.id, None))
                else:
                    targets.extend((rule.id, option.id) for option in rule.options)
        return tuple(targets)


# ---------------------------------------------------------------- parsing


class _Reader:
    """Carries the file's name and text so every error can name them."""

    def __init__(self, text: str, origin: str):
        self.text = text
        self.origin = origin

    def fail(self, where: str, problem: str, *, near: str | None = None) -> CpeError:
        """An error naming the file, where in it, and the line when ``near`` occurs on exactly one line."""
        if near is None:
            key = where.rsplit(".", 1)[-1].split("[", 1)[0]
            near = key if key.replace("_", "").replace("-", "").isalnum() and key.isascii() else None
        line = self._line_of(near) if near else None
        at = f" (line {line})" if line else ""
        return CpeError.invalid(f"profile {self.origin}: {where}{at}: {problem}")

    def _line_of(self, needle: str) -> int | None:
        # Best effort: tomllib reports positions only for syntax errors, so a
        # semantic error names the line only when its key or value is unique.
        import re

        if re.fullmatch(r"[A-Za-z0-9_-]+", needle):
            pattern = re.compile(rf"(^|[\s{{,]){re.escape(needle)}\s*=")
        else:
            pattern = re.compile(re.escape(needle))
        hits = [number for number, line in enumerate(self.text.splitlines(), 1)
                if pattern.search(line.split("#", 1)[0] if "#" not in needle else line)]
        return hits[0] if len(hits) == 1 else None

    # ---- typed getters; ``where`` is the dotted key path shown to the user

    def check_keys(self, table: dict, accepted: tuple[str, ...], where: str, *, hint=None) -> None:
        for key in table:
            if key not in accepted:
                extra = hint(key) if hint else ""
                raise self.fail(f"{where}.{key}" if where else key,
                                f"unknown key {key!r}{extra}; accepted here: {', '.join(accepted)}", near=key)

    def table(self, value, where: str) -> dict:
        if not isinstance(value, dict):
            raise self.fail(where, f"must be a table, not {_type_name(value)}")
        return value

    def text_value(self, value, where: str, *, required: bool = True) -> str:
        if not isinstance(value, str):
            raise self.fail(where, f"must be a string, not {_type_name(value)}")
        cleaned = value.strip()
        if required and not cleaned:
            raise self.fail(where, "must not be empty")
        return cleaned

    def text_list(self, value, where: str) -> tuple[str, ...]:
        if not isinstance(value, list):
            raise self.fail(where, f"must be a list of strings, not {_type_name(value)}")
        return tuple(self.text_value(item, f"{where}[{index}]") for index, item in enumerate(value))

    def ident(self, value, where: str) -> str:
        text = self.text_value(value, where)
        if not _ID_CHARS.issuperset(text):
            raise self.fail(where, f"{text!r} is not a valid id: use lowercase letters, digits and hyphens "
                                   "([a-z0-9-]+)", near=f'"{text}"')
        return text

    def day(self, value, where: str) -> date:
        if isinstance(value, datetime):
            raise self.fail(where, f"must be a date without a time (e.g. 2026-06-30), not {value.isoformat()}")
        if isinstance(value, date):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value.strip())
            except ValueError:
                pass
        raise self.fail(where, f"must be a date such as 2026-06-30, not {value!r}")

    def integer(self, value, where: str, low: int, high: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(where, f"must be a whole number from {low} to {high}, not {value!r}")
        if not low <= value <= high:
            raise self.fail(where, f"must be from {low} to {high}, not {value}")
        return value

    def boolean(self, value, where: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(where, f"must be true or false, not {value!r}")
        return value

    def amount(self, value, where: str, *, high: Decimal) -> Decimal:
        """A positive number of hours or percent, as an exact Decimal (a TOML float goes through its text)."""
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(where, f"must be a number, not {value!r}")
        try:
            number = Decimal(str(value))
        except InvalidOperation:  # pragma: no cover - str() of an int/float is always a number or nan/inf
            raise self.fail(where, f"must be a number, not {value!r}") from None
        if not number.is_finite() or number <= 0 or number > high:
            raise self.fail(where, f"must be greater than 0 and at most {high}, not {value!r}")
        return number

    def words(self, value, where: str) -> tuple[str, ...]:
        """``applies_if``: one word or a list of words, each written like an id."""
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not items:
            raise self.fail(where, "must be a word or a non-empty list of words")
        return tuple(dict.fromkeys(self.ident(item, f"{where}[{index}]" if isinstance(value, list) else where)
                                   for index, item in enumerate(items)))


def _type_name(value) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return f"the string {value!r}"
    return f"{value!r}"


def parse_profile(text: str, origin: str, data: dict | None = None) -> Profile:
    """Parse and validate one profile file's text; ``origin`` names it in errors and in the result.

    Every problem is a ``CpeError`` (exit 2) naming ``origin``, the key path,
    and the line: exactly when TOML reports a syntax error, best effort
    otherwise. ``data``: the text as ``tomllib`` reads it, when already known
    (the built-in files, read at build time: ``profiles_data.py``); the rules
    are checked all the same.
    """
    reader = _Reader(text, origin)
    if data is None:
        import tomllib

        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as problem:
            # tomllib's message carries "(at line N, column M)".
            raise CpeError.invalid(f"profile {origin}: not valid TOML: {problem}") from None
    reader.check_keys(data, _TOP_KEYS, "")

    for key in ("schema", "id", "name", "period"):
        if key not in data:
            example = {"schema": "schema = 1", "id": 'id = "my-profile"', "name": 'name = "..."',
                       "period": "[period] with months = N"}[key]
            raise reader.fail(key, f"is required ({example})")
    schema = data["schema"]
    if isinstance(schema, bool) or schema != SCHEMA:
        raise reader.fail("schema", f"{schema!r} is not supported; this version of cpe reads schema = {SCHEMA}",
                          near="schema")
    profile_id = reader.ident(data["id"], "id")
    name = reader.text_value(data["name"], "name")

    jurisdiction = None
    if "jurisdiction" in data:
        code = reader.text_value(data["jurisdiction"], "jurisdiction").upper()
        if code not in catalog.JURISDICTIONS:
            raise reader.fail("jurisdiction", f"{data['jurisdiction']!r} is not a jurisdiction code from the "
                                              "catalog (a USPS code such as TX, CA or DC)", near="jurisdiction")
        jurisdiction = code
    as_of = reader.day(data["as_of"], "as_of") if "as_of" in data else None
    sources = reader.text_list(data.get("sources", []), "sources")
    notes = reader.text_list(data.get("notes", []), "notes")

    period = reader.table(data["period"], "period")
    reader.check_keys(period, _PERIOD_KEYS, "period")
    if "months" not in period:
        raise reader.fail("period.months", f"is required (the length of one period, 1 to {MAX_MONTHS} months)")
    months = reader.integer(period["months"], "period.months", 1, MAX_MONTHS)
    anchor = reader.day(period["anchor"], "period.anchor") if "anchor" in period else None

    groups = _parse_groups(reader, data.get("groups", {}))
    group_names = {group.name for group in groups}
    raw_rules = data.get("rule", [])
    if not isinstance(raw_rules, list):
        raise reader.fail("rule", "must be written as [[rule]] tables")
    rules: list[Rule] = []
    for index, raw in enumerate(raw_rules):
        rule = _parse_rule(reader, raw, index, months, group_names)
        if any(existing.id == rule.id for existing in rules):
            raise reader.fail(f"rule[{index}].id", f"{rule.id!r} is used by two rules; rule ids must be unique",
                              near=f'"{rule.id}"')
        rules.append(rule)
    _check_applies_to(reader, rules)
    return Profile(id=profile_id, name=name, months=months, jurisdiction=jurisdiction, as_of=as_of,
                   sources=sources, notes=notes, anchor=anchor, groups=groups, rules=tuple(rules),
                   origin=origin, schema=SCHEMA)


def _checked_list(reader: _Reader, spec: dict, key: str, where: str, check) -> list[str]:
    """``spec[key]``, a list of text, each value passed through ``check`` (canonical name or refusal)."""
    checked: list[str] = []
    for index, value in enumerate(reader.text_list(spec.get(key, []), f"{where}.{key}")):
        try:
            checked.append(check(value))
        except CpeError as problem:
            raise reader.fail(f"{where}.{key}[{index}]", problem.message, near=f'"{value}"') from None
    return checked


# The canonical names, taken as they are: ``match_field``/``match_delivery`` (aliases, case, near misses) cost
# about a millisecond on their first call, and ``cpe status`` parses its profiles on every run.
_FIELD_NAMES = frozenset(catalog.FIELD_NAMES)
_METHOD_NAMES = frozenset(catalog.DELIVERY_NAMES)


def _method(value: str) -> str:
    return value if value in _METHOD_NAMES else match_delivery(value)


def _parse_groups(reader: _Reader, raw) -> tuple[Group, ...]:
    table = reader.table(raw, "groups")
    groups: list[Group] = []
    for name, spec in table.items():
        where = f"groups.{name}"
        reader.ident(name, where)
        spec = reader.table(spec, where)
        reader.check_keys(spec, _GROUP_KEYS, where)
        fields: list[str] = []
        field_sets: list[str] = []
        for index, value in enumerate(reader.text_list(spec.get("fields", []), f"{where}.fields")):
            if value.startswith("@"):
                if value not in FIELD_SETS:
                    raise reader.fail(f"{where}.fields[{index}]", f"unknown field set {value!r}; accepted: "
                                                                  f"{', '.join(FIELD_SETS)}", near=value)
                field_sets.append(value)
                fields.extend(FIELD_SETS[value])
                continue
            if value in _FIELD_NAMES:  # written as the catalog writes it: no matching needed
                fields.append(value)
                continue
            try:
                fields.append(match_field(value))
            except CpeError as problem:
                raise reader.fail(f"{where}.fields[{index}]", problem.message, near=f'"{value}"') from None
        methods = _checked_list(reader, spec, "methods", where, _method)
        tags = _checked_list(reader, spec, "tags", where, normalize_tag)
        if not (fields or methods or tags):
            raise reader.fail(where, "lists no fields, methods or tags, so no record could be in it")
        field_order = {name: position for position, name in enumerate(catalog.FIELD_NAMES)}
        groups.append(Group(name=name,
                            fields=tuple(sorted(set(fields), key=field_order.__getitem__)),
                            methods=tuple(m for m in catalog.DELIVERY_NAMES if m in methods),
                            tags=tuple(sorted(set(tags))),
                            field_sets=tuple(dict.fromkeys(field_sets))))
    return tuple(groups)


def _parse_rule(reader: _Reader, raw, index: int, months: int, group_names: set[str]) -> Rule:
    where = f"rule[{index}]"
    raw = reader.table(raw, where)
    if "id" not in raw:
        raise reader.fail(f"{where}.id", "is required (every rule has an id, [a-z0-9-]+)")
    rule_id = reader.ident(raw["id"], f"{where}.id")
    where = f"rule {rule_id!r}"
    if "kind" not in raw:
        raise reader.fail(f"{where}.kind", f"is required ({' | '.join(KINDS)})", near=f'"{rule_id}"')
    kind = raw["kind"]
    if kind not in KINDS:
        raise reader.fail(f"{where}.kind", f"unknown kind {kind!r}; accepted: {', '.join(KINDS)}",
                          near=f'"{kind}"' if isinstance(kind, str) else None)

    def taken_by(key: str) -> str:
        kinds = [other for other, keys in _KIND_KEYS.items() if key in keys]
        return f" (a {kind} rule does not take it; {' and '.join(kinds)} rules do)" if kinds else ""

    reader.check_keys(raw, _COMMON_RULE_KEYS + _KIND_KEYS[kind], where, hint=taken_by)

    def group_ref(value, key_where: str) -> str:
        name = reader.text_value(value, key_where)
        if name not in group_names:
            defined = ", ".join(sorted(group_names)) or "none"
            raise reader.fail(key_where, f"unknown group {name!r}; groups defined in [groups]: {defined}",
                              near=f'"{name}"')
        return name

    values: dict = {"id": rule_id, "kind": kind}
    if "name" in raw:
        values["name"] = reader.text_value(raw["name"], f"{where}.name")
    if "cite" in raw:
        values["cite"] = reader.text_value(raw["cite"], f"{where}.cite")
    if "note" in raw:
        values["note"] = reader.text_value(raw["note"], f"{where}.note")
    if "exact" in raw:
        values["exact"] = reader.boolean(raw["exact"], f"{where}.exact")
    if "applies_if" in raw:
        values["applies_if"] = reader.words(raw["applies_if"], f"{where}.applies_if")
    if "in" in raw:
        values["in_group"] = group_ref(raw["in"], f"{where}.in")

    if kind == "manual":
        if "text" not in raw:
            raise reader.fail(f"{where}.text", "is required for a manual rule (the reminder to show)")
        values["text"] = reader.text_value(raw["text"], f"{where}.text")
        return Rule(**values)

    if kind == "max":
        if "in" not in raw:
            raise reader.fail(f"{where}.in", "is required for a max rule (the group whose hours it caps)")
        if ("hours" in raw) == ("percent" in raw):
            raise reader.fail(where, "a max rule takes hours or percent, not both" if "hours" in raw
                              else "a max rule needs hours = N or percent = N", near="percent")
        if "hours" in raw:
            values["hours"] = reader.amount(raw["hours"], f"{where}.hours", high=MAX_HOURS)
        else:
            values["percent"] = reader.amount(raw["percent"], f"{where}.percent", high=Decimal(100))
        if "applies_to" in raw:
            targets = reader.text_list(raw["applies_to"], f"{where}.applies_to")
            if not targets:
                raise reader.fail(f"{where}.applies_to", "is empty; leave it out to cap every rule without `in`")
            values["applies_to"] = tuple(dict.fromkeys(targets))
        return Rule(**values)

    if "per" in raw:
        per = raw["per"]
        if per != "year":
            raise reader.fail(f"{where}.per", f"{per!r} is not accepted; the only value is \"year\"", near="per")
        if months % 12 or months <= 12:
            raise reader.fail(f"{where}.per", f"per = \"year\" needs a period of 24, 36, ... months; this "
                                              f"profile's period is {months} months", near="per")
        values["per"] = per
    if "lookback_months" in raw:
        if "per" in raw:
            raise reader.fail(where, "per and lookback_months cannot be combined", near="lookback_months")
        values["lookback_months"] = reader.integer(raw["lookback_months"], f"{where}.lookback_months",
                                                   1, MAX_LOOKBACK)

    if kind == "min":
        if "hours" not in raw:
            raise reader.fail(f"{where}.hours", "is required for a min rule")
        values["hours"] = reader.amount(raw["hours"], f"{where}.hours", high=MAX_HOURS)
        return Rule(**values)

    # any_of
    if "options" not in raw:
        raise reader.fail(f"{where}.options", "is required for an any_of rule (a list of {hours, in} tables)")
    raw_options = raw["options"]
    if not isinstance(raw_options, list) or not raw_options:
        raise reader.fail(f"{where}.options", "must be a non-empty list of tables such as { hours = 40 }")
    options: list[Option] = []
    for number, raw_option in enumerate(raw_options):
        option_where = f"{where}.options[{number}]"
        raw_option = reader.table(raw_option, option_where)
        reader.check_keys(raw_option, _OPTION_KEYS, option_where)
        if "hours" not in raw_option:
            raise reader.fail(f"{option_where}.hours", "is required for each option")
        hours = reader.amount(raw_option["hours"], f"{option_where}.hours", high=MAX_HOURS)
        in_group = group_ref(raw_option["in"], f"{option_where}.in") if "in" in raw_option else None
        option_id = (reader.ident(raw_option["id"], f"{option_where}.id") if "id" in raw_option
                     else in_group or "all")
        name = reader.text_value(raw_option["name"], f"{option_where}.name") if "name" in raw_option else ""
        if any(option.id == option_id for option in options):
            raise reader.fail(option_where, f"two options are called {option_id!r}; give each an id = \"...\"")
        options.append(Option(id=option_id, hours=hours, in_group=in_group, name=name))
    values["options"] = tuple(options)
    return Rule(**values)


def _check_applies_to(reader: _Reader, rules: list[Rule]) -> None:
    """Caps may name only requirements (min or any_of rules) of the same profile."""
    kinds = {rule.id: rule.kind for rule in rules}
    for rule in rules:
        for target in rule.applies_to or ():
            if target not in kinds:
                raise reader.fail(f"rule {rule.id!r}.applies_to", f"unknown rule {target!r}; rules in this "
                                                                  f"profile: {', '.join(kinds)}", near=f'"{target}"')
            if kinds[target] not in ("min", "any_of"):
                raise reader.fail(f"rule {rule.id!r}.applies_to", f"rule {target!r} is a {kinds[target]} rule; a "
                                                                  "cap applies only to min and any_of rules",
                                  near=f'"{target}"')


# ---------------------------------------------------------------- loading

_BUILTIN_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "profiles")


@lru_cache(maxsize=None)
def _builtin(profile_id: str) -> Profile:
    """One shipped profile, parsed on first use (``cpe status`` parses only the profiles it evaluates)."""
    from . import profiles_data

    name = f"{profile_id}.toml"
    with open(os.path.join(_BUILTIN_DIR, name), encoding="utf-8") as file:
        text = file.read()
    # Read by TOML at build time while the file is as it was then (profiles_build.py); else read now.
    data = profiles_data.DATA.get(profile_id) if text == profiles_data.SOURCES.get(profile_id) else None
    profile = parse_profile(text, f"{BUILT_IN} {name}", data)
    assert profile.id == profile_id, f"{name} declares id {profile.id!r}"
    return profile._replace(origin=BUILT_IN)


def _builtins() -> tuple[Profile, ...]:
    return tuple(_builtin(profile_id) for profile_id in BUILTIN_IDS)


def builtin_profiles() -> dict[str, Profile]:
    """The profiles that ship with cpe, by id, in the order of issue 11 (parsed once per process)."""
    return {profile.id: profile for profile in _builtins()}


def load_profile_file(path) -> Profile:
    """Read and parse one user profile file (a ``str`` or ``Path``), naming it in every error."""
    try:
        with open(path, encoding="utf-8") as file:
            text = file.read()
    except UnicodeDecodeError:
        raise CpeError.invalid(f"profile {path}: not UTF-8 text; save the file as UTF-8") from None
    except OSError as problem:
        raise CpeError.failed(f"profile {path}: cannot be read ({problem.strerror or problem})") from None
    return parse_profile(text, str(path))


def load_profiles(home, wanted=None) -> dict[str, Profile]:
    """Built-in profiles plus ``home/profiles/*.toml``; a user file overrides a built-in with the same id.

    Two user files declaring the same id are refused (which one wins would
    otherwise depend on file names); hidden files (editor back-ups) are skipped.
    With ``wanted`` (ids), only those built-ins are parsed (every user file
    still is: its id is inside it); the others are left out of the result.
    ``home`` is a ``str`` or a ``Path``: the folder is read with ``os``, so
    ``cpe status`` does not import ``pathlib`` for it.
    """
    if wanted is None:
        profiles = builtin_profiles()
    else:
        profiles = {profile_id: _builtin(profile_id) for profile_id in BUILTIN_IDS if profile_id in set(wanted)}
    folder = os.path.join(home, "profiles")
    try:
        names = sorted(entry.name for entry in os.scandir(folder)
                       if entry.name.endswith(".toml") and not entry.name.startswith("."))
    except OSError:  # no folder (or not one that can be listed): the built-ins alone, as before
        return profiles
    seen: dict[str, str] = {}
    for name in names:
        path = os.path.join(folder, name)
        if not os.path.isfile(path):
            continue
        profile = load_profile_file(path)
        if profile.id in seen:
            raise CpeError.invalid(f"profile {path}: id {profile.id!r} is also declared by {seen[profile.id]}; "
                                   "give each profile file its own id")
        seen[profile.id] = path
        profiles[profile.id] = profile
    return profiles


# ---------------------------------------------------------------- reading

def tags_read(profile: Profile) -> list[str]:
    """Every tag any group of the profile reads, sorted (for ``cpe profile show`` and completion)."""
    return sorted({tag for group in profile.groups for tag in group.tags})


def declarable_words(profile: Profile) -> list[str]:
    """The words ``--declare`` accepts for this profile: every word of every ``applies_if``."""
    return sorted({word for rule in profile.rules for word in rule.applies_if})


def check_declared(profile: Profile, words) -> frozenset[str]:
    """Validate ``--declare`` words against the profile, so a typo is refused instead of silently ignored."""
    accepted = declarable_words(profile)
    cleaned = set()
    for word in words:
        text = str(word).strip().lower()
        if text not in accepted:
            choices = ", ".join(accepted) if accepted else "none (no rule of this profile depends on one)"
            raise CpeError.invalid(f"--declare {str(word).strip()!r} is not a word profile {profile.id} reads; "
                                   f"accepted: {choices}")
        cleaned.add(text)
    return frozenset(cleaned)


def profile_as_dict(profile: Profile) -> dict:
    """The parsed profile as JSON-ready plain data (``cpe profile show --json``): dates ISO, hours as strings."""
    def number(value: Decimal | None):
        return None if value is None else str(value)

    return {
        "schema": profile.schema,
        "id": profile.id,
        "name": profile.name,
        "jurisdiction": profile.jurisdiction,
        "as_of": profile.as_of.isoformat() if profile.as_of else None,
        "sources": list(profile.sources),
        "notes": list(profile.notes),
        "origin": profile.origin,
        "period": {"months": profile.months, "anchor": profile.anchor.isoformat() if profile.anchor else None},
        "groups": {group.name: {"fields": list(group.fields), "methods": list(group.methods),
                                "tags": list(group.tags), "field_sets": list(group.field_sets)}
                   for group in profile.groups},
        "rules": [
            {key: value for key, value in {
                "id": rule.id, "kind": rule.kind, "name": rule.name or None, "hours": number(rule.hours),
                "percent": number(rule.percent), "in": rule.in_group, "per": rule.per,
                "lookback_months": rule.lookback_months,
                "exact": rule.exact if rule.kind != "manual" else None, "note": rule.note or None,
                "cite": rule.cite or None,
                "applies_to": [f"{target}" if option is None else f"{target}:{option}"
                               for target, option in profile.cap_targets(rule)] if rule.kind == "max" else None,
                "applies_if": list(rule.applies_if) or None,
                "options": [{"id": option.id, "name": option.name or None, "hours": number(option.hours),
                             "in": option.in_group} for option in rule.options] or None,
                "text": rule.text or None,
            }.items() if value is not None}
            for rule in profile.rules
        ],
    }


__all__ = ["Profile", "Group", "Rule", "Option", "parse_profile", "builtin_profiles", "load_profiles",
           "load_profile_file", "tags_read", "declarable_words", "check_declared", "profile_as_dict",
           "FIELD_SETS", "KINDS", "SCHEMA", "BUILT_IN", "BUILTIN_IDS"]

"""Gathering a new record: from options, and on a terminal through the form.

The form mirrors the dashboard's "Add External Certificate" dialog, field
for field and label for label, and re-asks one field at a time with the
reason a value was refused. Without a terminal (or with ``--no-input``) it
never prompts: a script gets one error naming every missing option.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from ..core import catalog

from ..core import records
from ..store.certificates import check_certificate
from ..core.credits import parse_credits
from ..core.errors import CpeError
from ..core.periods import completion_date
from ..core.records import StoredRecord

REQUIRED_OPTIONS = {"title": "--title", "credits": "--credits", "field_of_study": "--field",
                    "delivery_method": "--delivery", "provider": "--provider"}


def collect_record(given: dict[str, str | None], certificate: Path | None, today: date, home: Path,
                   interactive: bool) -> tuple[records.Record, list[str], Path | None]:
    """Return a valid record, its warnings and the certificate to attach, or raise ``CpeError``."""
    if certificate is not None:
        certificate = certificate.expanduser()
        check_certificate(certificate)
    missing = [name for name in REQUIRED_OPTIONS if given.get(name) is None]
    if missing and not interactive:
        raise CpeError.invalid("missing required option" + ("s" if len(missing) > 1 else "") + ": "
                               + ", ".join(REQUIRED_OPTIONS[name] for name in missing)
                               + " (prompts need a terminal; see 'cpe add --help')")
    if interactive and missing:
        given, certificate = _walk_form(given, certificate, today, home)
    record, warnings = records.build_record(given, today)
    return record, warnings, certificate


def _ask(label: str, parse: Callable[[str], object], *, default: str | None = None,
         optional: bool = False, show_default: bool = True) -> str:
    """Prompt until ``parse`` accepts the answer; return the answer's text."""
    import typer  # only a form needs prompts: scripted adds never load Typer's prompt machinery here

    while True:
        answer = typer.prompt(label, default=default if default is not None else ("" if optional else None),
                              show_default=show_default and bool(default))
        try:
            parse(answer)
        except CpeError as problem:
            _say(f"  {problem.message}", err=True)
            continue
        return answer


def _say(text: str, err: bool = False) -> None:
    import typer

    typer.echo(text, err=err)


def _numbered(choices: tuple[str, ...] | list[str]) -> str:
    width = len(str(len(choices)))
    return "\n".join(f"  {number:>{width}}. {choice}" for number, choice in enumerate(choices, 1))


def _by_number(choices: tuple[str, ...] | list[str], parse: Callable[[str], object]) -> Callable[[str], str]:
    """Accept a list number as well as whatever ``parse`` accepts; return the canonical text."""
    def resolve(answer: str) -> str:
        text = answer.strip()
        if text.isdigit():
            index = int(text)
            if 1 <= index <= len(choices):
                return choices[index - 1]
            raise CpeError.invalid(f"choose a number from 1 to {len(choices)}, or type a name")
        result = parse(text)
        return result if isinstance(result, str) else text
    return resolve


def _walk_form(given: dict[str, str | None], certificate: Path | None, today: date,
               home: Path) -> tuple[dict[str, str | None], Path | None]:
    values = dict(given)
    # Options given on the command line are checked before any question is asked.
    check = records.check_record(given, today)
    given_errors = [message for name, message in check.errors if given.get(name) is not None]
    if given_errors:
        raise CpeError.invalid("; ".join(given_errors))

    _say("Add External Certificate (Ctrl-C to cancel)")
    _ask_fields(values, [name for name in FORM_FIELDS if values.get(name) is None], today, home,
                defaults={"date": today.isoformat()})
    if certificate is None:
        answer = _ask("Certificate file (optional, path)", _check_optional_certificate, optional=True).strip()
        certificate = Path(answer).expanduser() if answer else None
    return values, certificate


# The form's fields in its order (the certificate comes last, asked on its own).
FORM_FIELDS: tuple[str, ...] = ("title", "credits", "field_of_study", "state", "date", "delivery_method",
                                "provider", "description")
CLEAR = "-"


def _ask_from_list(label: str, choices: tuple[str, ...], parse: Callable[[str], object],
                   default: str | None) -> str:
    """Show the numbered list, then accept a number, a name or a unique prefix; return the canonical name."""
    _say(f"{label}:\n" + _numbered(choices))
    pick = _by_number(choices, parse)
    return pick(_ask(f"{label} (number or name)", pick, default=default))


def _ask_fields(values: dict[str, str | None], wanted: list[str] | tuple[str, ...], today: date, home: Path, *,
                defaults: dict[str, str | None], clearable: bool = False) -> None:
    """Ask each ``wanted`` field in the form's order, offering ``defaults``; with ``clearable``, "-" empties
    an optional field that has a default (Enter keeps it)."""
    def default(name: str) -> str | None:
        return defaults.get(name) or None

    if "title" in wanted:
        values["title"] = _ask("Course/Seminar Title", records.clean_title, default=default("title"))
    if "credits" in wanted:
        values["credits"] = _ask("CPE Credits", parse_credits, default=default("credits"))
    if "field_of_study" in wanted:
        values["field_of_study"] = _ask_from_list("Field of Study", catalog.FIELD_NAMES, records.match_field,
                                                  default("field_of_study"))
    if "state" in wanted:
        values["state"] = _ask_optional("State (optional, code or name)", records.match_state,
                                        default("state"), clearable) or None
    if "date" in wanted:
        values["date"] = _ask("Date", lambda text: completion_date(text, today), default=default("date"))
    if "delivery_method" in wanted:
        values["delivery_method"] = _ask_from_list("Delivery Method", catalog.DELIVERY_NAMES,
                                                   records.match_delivery, default("delivery_method"))
    if "provider" in wanted:
        values["provider"] = _ask_provider(home, default("provider"))
    if "description" in wanted:
        values["description"] = _ask_optional("Course Description (optional)", records.clean_description,
                                              default("description"), clearable)


def _ask_optional(label: str, parse: Callable[[str], object], default: str | None, clearable: bool) -> str:
    if not (clearable and default):
        return _ask(label, parse, optional=True)
    shown = default if len(default) <= 40 and "\n" not in default else default[:37].split("\n")[0] + "..."
    answer = _ask(f"{label} [{shown}; {CLEAR} clears]", lambda text: text.strip() == CLEAR or parse(text),
                  default=default, show_default=False)
    return "" if answer.strip() == CLEAR else answer


def edit_form(record: StoredRecord, today: date, home: Path) -> tuple[dict[str, str | None], Path | None, bool]:
    """Walk the form with ``record``'s values as defaults.

    Returns the new values (as text, for ``records.build_record``), a
    certificate file to attach (or None) and whether to remove the current one.
    """
    from ..ops.lifecycle import record_values

    values = record_values(record)
    _say(f"Edit record {record.id} (Enter keeps the value shown, {CLEAR} clears an optional one; "
               "Ctrl-C to cancel)")
    _ask_fields(values, FORM_FIELDS, today, home, defaults=dict(values), clearable=True)
    if record.certificate is None:
        answer = _ask("Certificate file (optional, path)", _check_optional_certificate, optional=True).strip()
        return values, (Path(answer).expanduser() if answer else None), False
    label = (f"Certificate file (Enter keeps {record.certificate.original_name!r}, a path replaces it, "
             f"{CLEAR} removes it)")
    answer = _ask(label, lambda text: text.strip() == CLEAR or _check_optional_certificate(text),
                  optional=True).strip()
    if answer == CLEAR:
        return values, None, True
    return values, (Path(answer).expanduser() if answer else None), False


def _check_optional_certificate(answer: str) -> None:
    if answer.strip():
        check_certificate(Path(answer.strip()).expanduser())


def _ask_provider(home: Path, default: str | None = None) -> str:
    used = _providers_used(home)
    if not used:
        return _ask("Provider", records.clean_provider, default=default)
    _say("Providers used before:\n" + _numbered(used))
    pick = _by_number(used, records.clean_provider)
    return pick(_ask("Provider (number or name)", pick, default=default or used[0]))


def _providers_used(home: Path) -> list[str]:
    """Suggestions from an existing ledger; a home that does not exist yet is not created by asking."""
    from ..store.ledger import DATABASE_NAME, open_ledger

    if not (home / DATABASE_NAME).exists():
        return []
    with open_ledger(home) as ledger:
        return ledger.providers_used()

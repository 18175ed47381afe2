"""Gathering a new record: from options, and on a terminal through the form.

The form mirrors the dashboard's "Add External Certificate" dialog, field
for field and label for label, and re-asks one field at a time with the
reason a value was refused. Without a terminal (or with ``--no-input``) it
never prompts: a script gets one error naming every missing option.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import date

from ..core import catalog

from ..core import records
from ..store.certificates import check_certificate
from ..core.credits import parse_credits
from ..core.errors import CpeError
from ..core.periods import completion_date
from ..core.records import StoredRecord

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    from pathlib import Path

REQUIRED_OPTIONS = {"title": "--title", "credits": "--credits", "field_of_study": "--field",
                    "delivery_method": "--delivery", "provider": "--provider"}


class Cancelled(KeyboardInterrupt):
    """Ctrl-C (or Ctrl-D) in a form, which has written nothing yet: said as what it means for the ledger
    (``failures.interrupted`` prints it in place of "Interrupted.", on either route, with the same exit code,
    130)."""

    def __init__(self, said: str):
        super().__init__(said)
        self.said = said


def collect_record(given: dict[str, str | None], certificate: Path | None, today: date, home: Path,
                   interactive: bool) -> tuple[records.Record, list[str], Path | None]:
    """Return a valid record, its warnings and the certificate to attach, or raise ``CpeError``."""
    if certificate is not None:
        certificate = os.path.expanduser(certificate)
        check_certificate(certificate)
    missing = [name for name in REQUIRED_OPTIONS if given.get(name) is None]
    if missing and not interactive:
        raise CpeError.invalid("missing required option" + ("s" if len(missing) > 1 else "") + ": "
                               + ", ".join(REQUIRED_OPTIONS[name] for name in missing)
                               + " (the form asks for them only on a terminal and without --no-input; "
                                 "see 'cpe add --help')")
    shown: set[str] = set()
    if interactive and missing:
        try:
            given, certificate = _walk_form(given, certificate, today, home, shown)
        except KeyboardInterrupt:
            raise Cancelled("Cancelled: nothing was added.") from None
    record, warnings = records.build_record(given, today)
    return record, [text for text in warnings if text not in shown], certificate


def _ask(label: str, parse: Callable[[str], object], *, default: str | None = None,
         optional: bool = False, show_default: bool = True) -> str:
    """Prompt until ``parse`` accepts the answer; return the answer's text."""
    while True:
        answer = _prompt(label, default=default if default is not None else ("" if optional else None),
                         show_default=show_default and bool(default))
        try:
            parse(answer)
        except CpeError as problem:
            _say(f"  {problem.message}", err=True)
            continue
        return answer


def _say(text: str, err: bool = False) -> None:
    """The form's own text (headings, lists, reasons for asking again): messages, on standard error."""
    from .output import message

    message(text)


def _read_line(prompt: str) -> str:
    """One answer: the prompt on standard error (standard output stays for data), the line from standard
    input with the terminal's line editing. End of input cancels the form (Ctrl-D), as Ctrl-C does."""
    import sys

    from .output import plain

    sys.stdout.flush()
    sys.stderr.write(plain(prompt))  # defaults shown in it come from the ledger: never raw control characters
    sys.stderr.flush()
    try:
        return input()
    except EOFError:
        sys.stderr.write("\n")
        raise KeyboardInterrupt from None


def _prompt(label: str, *, default: str | None, show_default: bool) -> str:
    """Ask until there is an answer; Enter takes ``default`` (None: an answer is required)."""
    shown = f" [{default}]" if show_default and default else ""
    while True:
        answer = _read_line(f"{label}{shown}: ")
        if answer:
            return answer
        if default is not None:
            return default


def confirm(question: str, *, default: bool = False) -> bool:
    """Ask a yes/no question on the terminal; Enter means ``default`` (no, unless said)."""
    while True:
        answer = _read_line(f"{question} {'[Y/n]' if default else '[y/N]'}: ").strip().lower()
        if answer in ("y", "yes") or (answer == "" and default):
            return True
        if answer in ("", "n", "no"):
            return False
        _say("  answer y or n")


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
        try:
            result = parse(text)
        except CpeError as problem:  # the numbered list is on the screen above: not the names again
            head, listed, _ = problem.message.partition("; accepted: ")
            if not listed:
                raise
            raise CpeError.invalid(f"{head}; choose a number from 1 to {len(choices)}, or type a name") from None
        return result if isinstance(result, str) else text
    return resolve


def _walk_form(given: dict[str, str | None], certificate: Path | None, today: date,
               home: Path, shown: set[str]) -> tuple[dict[str, str | None], Path | None]:
    values = dict(given)
    # Options given on the command line are checked before any question is asked.
    check = records.check_record(given, today)
    given_errors = [message for name, message in check.errors if given.get(name) is not None]
    if given_errors:
        raise CpeError.invalid("; ".join(given_errors))

    _say("Add External Certificate (Ctrl-C to cancel)")
    _ask_fields(values, [name for name in FORM_FIELDS if values.get(name) is None], today, home,
                defaults={"date": today.isoformat()}, shown=shown)
    if certificate is None:
        answer = _ask("Certificate file (optional, path)", _check_optional_certificate, optional=True)
        certificate = typed_path(answer)
    return values, certificate


# The form's fields in its order (the certificate comes last, asked on its own).
FORM_FIELDS: tuple[str, ...] = ("title", "credits", "field_of_study", "state", "date", "delivery_method",
                                "provider", "description", "tags")
CLEAR = "-"


def _ask_from_list(label: str, choices: tuple[str, ...], parse: Callable[[str], object],
                   default: str | None) -> str:
    """Show the numbered list, then accept a number, a name or a unique prefix; return the canonical name."""
    _say(f"{label}:\n" + _numbered(choices))
    pick = _by_number(choices, parse)
    return pick(_ask(f"{label} (number or name)", pick, default=default))


def _ask_fields(values: dict[str, str | None], wanted: list[str] | tuple[str, ...], today: date, home: Path, *,
                defaults: dict[str, str | None], clearable: bool = False, shown: set[str] | None = None) -> None:
    """Ask each ``wanted`` field in the form's order, offering ``defaults``; with ``clearable``, "-" empties
    an optional field that has a default (Enter keeps it)."""
    def default(name: str) -> str | None:
        return defaults.get(name) or None

    if "title" in wanted:
        values["title"] = _ask("Course/Seminar Title", records.clean_title, default=default("title"))
    if "credits" in wanted:
        values["credits"] = _ask("CPE Credits", parse_credits, default=default("credits"))
        _warn_at_credits(values, shown if shown is not None else set())
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
        _warn_at_credits(values, shown if shown is not None else set())
    if "provider" in wanted:
        values["provider"] = _ask_provider(home, default("provider"))
    if "description" in wanted:
        values["description"] = _ask_optional("Course Description (optional)", records.clean_description,
                                              default("description"), clearable)
    if "tags" in wanted:
        values["tags"] = _ask_optional("Tags (optional, comma-separated, e.g. fl-ethics)", records.clean_tags,
                                       default("tags"), clearable)


def _warn_at_credits(values: dict[str, str | None], shown: set[str]) -> None:
    """The increment warning as soon as both credits and method are known (at the credits question when the
    method was given as an option), once; the command does not repeat it at the end."""
    from ..core.credits import increment_warning

    if not values.get("credits") or not values.get("delivery_method"):
        return
    try:
        message = increment_warning(parse_credits(values["credits"]), records.match_delivery(values["delivery_method"]))
    except CpeError:
        return
    if message and message not in shown:
        shown.add(message)
        _say(f"  Warning: {message}")


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
    try:
        return _walk_edit_form(record, values, today, home)
    except KeyboardInterrupt:
        raise Cancelled(f"Cancelled: record {record.id} is unchanged.") from None


def _walk_edit_form(record: StoredRecord, values: dict, today: date,
                    home: Path) -> tuple[dict[str, str | None], Path | None, bool]:
    _ask_fields(values, FORM_FIELDS, today, home, defaults=dict(values), clearable=True)
    if record.certificate is None:
        answer = _ask("Certificate file (optional, path)", _check_optional_certificate, optional=True)
        return values, typed_path(answer), False
    label = (f"Certificate file (Enter keeps {record.certificate.original_name!r}, a path replaces it, "
             f"{CLEAR} removes it)")
    answer = _ask(label, lambda text: text.strip() == CLEAR or _check_optional_certificate(text),
                  optional=True)
    if answer.strip() == CLEAR:
        return values, None, True
    return values, typed_path(answer), False


def typed_path(answer: str) -> Path | None:
    """A path as people type, paste or drag it into a terminal: quoted ('~/My Cert.pdf' or "..."), with
    shell escapes (My\\ Cert.pdf), a trailing space, or ~ for the home folder. None when empty."""
    text = answer.strip()
    if not text:
        return None
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        text = text[1:-1]
    elif "\\" in text:
        import shlex

        try:
            words = shlex.split(text)
        except ValueError:
            words = [text]
        text = words[0] if len(words) == 1 else text
    from pathlib import Path  # the interactive form only: a flag's path stays the text typed

    return Path(text).expanduser()


def _check_optional_certificate(answer: str) -> None:
    path = typed_path(answer)
    if path is not None:
        try:
            check_certificate(path)
        except CpeError as problem:  # name the file as the user typed it, not as Python quotes it
            raise CpeError.invalid(problem.message.replace(repr(str(path)), f"'{path}'")) from None


def _ask_provider(home: Path, default: str | None = None) -> str:
    used = _providers_used(home)
    if not used:
        return _ask("Provider", records.clean_provider, default=default)
    _say("Providers used before:\n" + _numbered(used))

    confirmed: set[str] = set()

    def known_or_new(text: str) -> str:
        """A number, a known provider by a unique prefix (any case), or a new name once confirmed."""
        cleaned = records.clean_provider(text)
        if cleaned in confirmed:
            return cleaned
        matches = [name for name in used if name.casefold().startswith(cleaned.casefold())]
        exact = [name for name in used if name.casefold() == cleaned.casefold()]
        if exact:
            return exact[0]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise CpeError.invalid(f"{cleaned!r} matches {', '.join(matches)}: type more of the name, or its number")
        # Enter adds a new name, as the user typed it on purpose; unless it is close to one used before (a
        # typo, 'AICAP'): then Enter declines, and the question names the one it is close to.
        from difflib import get_close_matches

        folded = {name.casefold(): name for name in used}
        close = [folded[name] for name in get_close_matches(cleaned.casefold(), folded, n=1, cutoff=0.8)]
        near = f" (close to {close[0]!r})" if close else ""
        if not confirm(f"  {cleaned!r} is a provider you have not used before{near}: add it?", default=not close):
            raise CpeError.invalid("type the provider's name again, or a number from the list")
        confirmed.add(cleaned)
        return cleaned

    pick = _by_number(used, known_or_new)
    return pick(_ask("Provider (number or name)", pick, default=default or used[0]))


def _providers_used(home: Path) -> list[str]:
    """Suggestions from an existing ledger; a home that does not exist yet is not created by asking."""
    from ..store.ledger import DATABASE_NAME, open_ledger

    if not os.path.exists(os.path.join(home, DATABASE_NAME)):
        return []
    with open_ledger(home) as ledger:
        return ledger.providers_used()

"""What ``cpe total``, ``cpe list``, ``cpe add`` and ``cpe catalog`` do: core calls in, output out.

Each function is the handler of one command: the Typer app (``cli/app.py``,
where the options are declared) and the fast route (``cli/fast_route.py``,
which reads the spec generated from that declaration) both call it with the
same keyword arguments, named like the core's record keys. Typer-free and
Rich-free at import, so a scripted ``cpe total`` or ``cpe add`` pays for
neither.
"""

from __future__ import annotations

from .. import output
from ...core.environment import resolve_home, resolve_home_text, resolve_today

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    from pathlib import Path

DUPLICATE_FIELDS = "same source, title, date, provider, credits, field and method"


def _say_if_placeholder(ledger) -> None:
    """A read of a home that does not exist yet: say where cpe looked (a mistyped CPE_HOME shows here)."""
    if ledger.placeholder:
        output.message(f"Note: no ledger in {ledger.home_text} yet (cpe add or cpe import creates it); showing an "
                       "empty one")


def view_of(preset, start, end, year, source, field, tags, *, no_certificate=False, batch=None):
    """The view (window, source, field, tags, certificate, import batch) the shared view options name, as of
    today."""
    from ...core.views import resolve_filters

    def tracked_groups():
        from ...ops.field_groups import tracked_field_groups

        return tracked_field_groups(resolve_home())

    return resolve_filters(resolve_today(), preset, start, end, year, source, field, tags,
                           more_groups=tracked_groups, no_certificate=no_certificate, batch=batch)


def total(*, preset=None, start=None, end=None, year=None, source="all", field=None, tags=None, as_json=False,
          by=None, output_format=None, no_certificate=False, batch=None) -> None:
    """The badge on a terminal, the bare number in a pipe, or JSON; with ``by``, a breakdown."""
    from ...store.ledger import open_ledger

    filters = view_of(preset, start, end, year, source, field, tags, no_certificate=no_certificate, batch=batch)
    if by is not None or output_format is not None:
        return _breakdown(filters, by, "json" if as_json else (output_format or "table"))
    badge_wanted = output.stdout_is_terminal() and not as_json
    with open_ledger(resolve_home_text(), create=False) as ledger:
        _say_if_placeholder(ledger)
        result = ledger.total(filters)
        outside = ledger.total_outside(filters, inside=result) if badge_wanted else None
    if as_json:
        output.data_json_line({"total": float(result.credits), "count": result.count, **_filters_json(filters)})
    elif badge_wanted:
        from ..badge import print_badge

        print_badge(result, filters, outside)
    else:
        output.data(output.credits(result.credits))


def _breakdown(filters, by, output_format) -> None:
    """``cpe total --by KEY``: the view's credits per field, method, source, month, year or tag, and the total."""
    from ...core.errors import CpeError
    from ...store.breakdowns import BREAKDOWN_KEYS, breakdown
    from ...store.ledger import open_ledger

    if by is None:
        raise CpeError.invalid("--format goes with --by (e.g. cpe total --by month --format csv)")
    key = by.strip().lower()
    if key not in BREAKDOWN_KEYS:
        raise CpeError.invalid(f"unknown breakdown {by!r}; accepted: {', '.join(BREAKDOWN_KEYS)}")
    output_format = output_format.strip().lower()
    if output_format not in LIST_FORMATS:
        raise CpeError.invalid(f"unknown format {output_format!r}; accepted: {', '.join(LIST_FORMATS)}")
    with open_ledger(resolve_home_text(), create=False) as ledger:
        _say_if_placeholder(ledger)
        rows = breakdown(ledger, filters, key)
        result = ledger.total(filters)
    rows = _with_empty_periods(rows, key, filters.window)
    from ...core.credits import from_hundredths

    if output_format == "json":
        output.data_json({"by": key, **_filters_json(filters), "total": float(result.credits),
                          "count": result.count,
                          "rows": [{"key": name, "credits": float(from_hundredths(hundredths)), "count": count}
                                   for name, hundredths, count in rows]})
    elif output_format == "csv":
        output.data("\r\n".join([f"{key},credits,count",
                                  *(f"{_csv_cell(name)},{output.credits(from_hundredths(h))},{count}"
                                    for name, h, count in rows)]) + "\r")
    else:
        from ..table import breakdown_table

        output.data(breakdown_table(key, rows, result, filters))
    if key == "tag" and rows:
        output.message("A record with several tags counts under each of them; untagged records are not listed.")


def _csv_cell(text: str) -> str:
    return f'"{text.replace(chr(34), chr(34) * 2)}"' if any(c in text for c in ',"\r\n') else text


def _with_empty_periods(rows, key, window):
    """Months (or years) in order with the empty ones as zero, from the window's start (or the first record) to
    its end or today, whichever comes first."""
    if key not in ("month", "year") or not rows:
        return rows
    found = {name: (hundredths, count) for name, hundredths, count in rows}
    first = (window.start.isoformat() if window.start else rows[0][0])[: 7 if key == "month" else 4]
    end = min(window.end, resolve_today()) if window.end else None  # no empty future months
    last = max(end.isoformat() if end else "", rows[-1][0])[: 7 if key == "month" else 4]
    filled = []
    year, month = int(first[:4]), int(first[5:7]) if key == "month" else 1
    while True:
        name = f"{year:04d}-{month:02d}" if key == "month" else f"{year:04d}"
        if name > last:
            break
        filled.append((name, *found.get(name, (0, 0))))
        if key == "month":
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        else:
            year += 1
    return filled


def _filters_json(filters) -> dict:
    """Every filter in force, as JSON (the badge and the list header say the same in words)."""
    window = filters.window
    return {"from": window.start.isoformat() if window.start else None,
            "to": window.end.isoformat() if window.end else None,
            "source": filters.source, "fields": list(filters.fields), "tags": list(filters.tags),
            "no_certificate": filters.no_certificate, "batch": filters.batch}


LIST_FORMATS = ("table", "csv", "json")
TERMINAL_LIMIT = 1000  # rows a paged table shows by default; nobody reads more, and the total covers them all
# Lines of an unpaged table that are not rows: the title, a blank line, the header and its rule, a blank line, the
# caption, up to three notes (outside the window, rows not shown, columns not shown), one of them wrapped, and the
# shell's prompt after it (a wrapped row takes more: the title may then scroll off, the rows do not).
LIST_CHROME_LINES = 11
SCREEN_ROWS_MIN = 10


def default_limit(terminal: bool, output_format: str, paged: bool) -> int:
    """How many rows a list shows when ``--limit`` is not given: all of them in a pipe, CSV or JSON; on a
    terminal, up to ``TERMINAL_LIMIT`` through the pager, or a screenful without one (``--no-pager``,
    ``CPE_PAGER=cat``): rows printed beyond the screen scroll away before they are read, newest first, and
    drawing them is most of the command's time (issue 14)."""
    if not terminal or output_format != "table":
        return 0
    if paged:
        return TERMINAL_LIMIT
    from ..terminal import terminal_size

    return max(terminal_size()[1] - LIST_CHROME_LINES, SCREEN_ROWS_MIN)


def list_records(*, preset=None, start=None, end=None, year=None, source="all", field=None, tags=None,
                 output_format="table", limit=None, sort=None, reverse=False, no_pager=False, no_certificate=False,
                 batch=None) -> None:
    """The records of a view: a table (newest first), CSV (oldest first) or JSON (newest first).

    ``limit`` caps the rows (0: no cap); by default only a table on a
    terminal is capped (``default_limit``), with a line saying so.
    ``sort`` orders by date (newest first), credits (largest first) or title
    (A to Z); ``reverse`` flips whichever order applies.
    """
    from ...core.errors import CpeError
    from ...store.ledger import SORT_ORDERS, open_ledger

    output_format = output_format.strip().lower()
    if output_format not in LIST_FORMATS:
        raise CpeError.invalid(f"unknown format {output_format!r}; accepted: {', '.join(LIST_FORMATS)}")
    if sort is not None:
        sort = sort.strip().lower()
        if sort not in SORT_ORDERS:
            raise CpeError.invalid(f"unknown sort key {sort!r}; accepted: {', '.join(SORT_ORDERS)}")
    if limit is not None and limit < 0:
        raise CpeError.invalid(f"--limit {limit} is negative; use 0 for no limit")
    terminal = output.stdout_is_terminal()
    screenful = False  # capped to the screen by default (no pager to scroll through more)
    if limit is None:
        paged = not no_pager and output.pager_command() is not None
        limit = default_limit(terminal, output_format, paged)
        screenful = bool(limit) and not paged
    filters = view_of(preset, start, end, year, source, field, tags, no_certificate=no_certificate, batch=batch)
    newest_first = (output_format != "csv") != reverse
    with open_ledger(resolve_home_text(), create=False) as ledger:
        _say_if_placeholder(ledger)
        records = ledger.records(filters, newest_first=newest_first, limit=limit or None, sort=sort,
                                 reverse=reverse)
        if output_format == "json":
            from ...core.serialize import record_json

            output.data_json([record_json(r) for r in records])
        elif output_format == "csv" and sort is None and not reverse and not limit:
            # The export's own path (``cpe export csv``): lines built by SQLite, byte for byte what write_csv
            # writes, with no Python object per record (issue 14: within 1.2x of the export).
            from ...core.serialize import COLUMNS
            from ...store.exchange import write_export_lines

            with output.utf8_stdout() as stream:
                stream.write(",".join(COLUMNS) + "\r\n")
                write_export_lines(ledger, filters, stream.write, raw=False)
        elif output_format == "csv":
            from ...core.serialize import write_csv

            with output.utf8_stdout() as stream:
                write_csv(records, stream)
        else:
            result = ledger.total(filters)
            if not result.count:
                _say_why_empty(ledger, filters, result)
                return
            from ..table import records_table

            output.page(records_table(records, result, filters, terminal), allowed=not no_pager)
            _say_what_is_outside(ledger, filters, result)
            if limit and result.count > limit:
                which = "newest" if sort is None and not reverse else "first"
                if screenful:
                    output.warn(f"showing the newest {limit:,} of {result.count:,} records (a screenful; "
                                "--limit 0 shows all)")
                else:
                    output.warn(f"showing the {which} {limit:,} of {result.count:,} records; --limit 0 shows all, "
                                "--format csv exports them")


def _say_why_empty(ledger, filters, result) -> None:
    from ...core.periods import describe

    output.warn(f"no records in {filters.window.label.lower()} ({describe(filters.window)})")
    _say_what_is_outside(ledger, filters, result, say=output.warn)


def _say_what_is_outside(ledger, filters, result, say=None) -> None:
    """Records of the view's filters that the window leaves out, as the badge says it: a list by default shows
    this year only, and a record of last year without a certificate should not go unnoticed."""
    if filters.window.start is None and filters.window.end is None:
        return
    outside = ledger.total_outside(filters, inside=result)
    if outside.count:
        (say or (lambda text: output.message(f"Note: {text}")))(output.outside_window(outside))


def add(*, title=None, credits=None, field_of_study=None, state=None, date=None, delivery_method=None,
        provider=None, description=None, certificate: str | None = None, tags=None, source="external",
        no_input=False, as_json=False) -> None:
    """Validate (through the form on a terminal when something is missing), add, and report."""
    from ...ops.add import add_record
    from ..form import collect_record

    home, today = resolve_home_text(), resolve_today()
    given = {"title": title, "credits": credits, "field_of_study": field_of_study, "state": state, "date": date,
             "delivery_method": delivery_method, "provider": provider, "description": description,
             "source": source, "tags": tags}
    interactive = not no_input and output.stdin_is_terminal()
    record, warnings, certificate_file = collect_record(given, certificate, today, home, interactive)
    for text in warnings:
        output.warn(text)
    added = add_record(home, today, record, certificate_file)
    stored = added.record
    if added.duplicate_of is not None:
        output.warn(f"record {stored.id} looks like a duplicate of record {added.duplicate_of} ({DUPLICATE_FIELDS})")
    if as_json:
        from .lifecycle import show_json

        show_json(home, stored)
    output.message(f"Added record {stored.id}: {output.credits(stored.credits)} credits, {stored.field_of_study}, "
                   f"{stored.completed_on.isoformat()}.")
    output.year_to_date(added.year_to_date)


def catalog(*, what="all", as_json=False) -> None:
    """The accepted fields of study, delivery methods and jurisdictions."""
    from ...core import catalog as lists_source
    from ...core.errors import CpeError

    lists = {
        "fields": [{"name": f.name, "technical": f.technical, "aliases": list(f.aliases)}
                   for f in lists_source.FIELDS_OF_STUDY],
        "delivery": [{"name": m.name, "aliases": list(m.aliases)} for m in lists_source.DELIVERY_METHODS],
        "states": [{"code": code, "name": name} for code, name in lists_source.JURISDICTIONS.items()],
    }
    wanted = what.strip().lower()
    if wanted not in (*lists, "all"):
        raise CpeError.invalid(f"unknown list {what!r}; accepted: fields, delivery, states, all")
    chosen = lists if wanted == "all" else {wanted: lists[wanted]}
    if as_json:
        output.data_json(chosen)
        return
    headings = {"fields": "Fields of study (NASBA)", "delivery": "Delivery methods", "states": "Jurisdictions"}
    blocks: list[str] = []
    for name, items in chosen.items():
        if name == "fields":
            rows = [(item["name"], "technical" if item["technical"] else "non-technical", ", ".join(item["aliases"]))
                    for item in items]
            header = ("Field of study", "Kind", "Also accepted")
        elif name == "delivery":
            rows = [(item["name"], ", ".join(item["aliases"])) for item in items]
            header = ("Delivery method", "Also accepted")
        else:
            rows = [(item["code"], item["name"]) for item in items]
            header = ("Code", "Jurisdiction")
        widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows)]
        lines = [f"# {headings[name]}"] if len(chosen) > 1 else []
        lines += ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip()
                  for row in (header, *rows)]
        blocks.append("\n".join(lines))
    output.data("\n\n".join(blocks))


def fields() -> None:
    """The NASBA fields of study (``cpe catalog fields``, kept as a hidden alias)."""
    catalog(what="fields")


def info(*, as_json=False) -> None:
    """Where the data lives, how much there is, what is tracked, and the versions in use."""
    from ...ops.info import describe_home

    facts = describe_home(resolve_home())
    if as_json:
        output.data_json(facts)
        return
    if not facts["exists"]:
        output.data(f"Home:          {facts['home']} (no ledger yet: 'cpe add' or 'cpe import FILE' creates it)\n"
                    f"cpe {facts['cpe_version']}, SQLite {facts['sqlite_version']}")
        return
    tracked = ", ".join(item["id"] + (f" (period ending {item['period_end']})" if item["period_end"] else "")
                        for item in facts["tracked_profiles"]) or "none ('cpe profile use ID')"
    output.data("\n".join([
        f"Home:          {facts['home']}",
        f"Database:      {facts['database']} ({facts['database_bytes']:,} bytes, schema version "
        f"{facts['schema_version']})",
        f"Certificates:  {facts['certificates']} ({output.plural(facts['certificate_files'], 'file')}, "
        f"{facts['certificate_bytes']:,} bytes)",
        f"Records:       {facts['records']:,} ({facts['records_with_certificate']:,} with a certificate; "
        f"{facts['trash']:,} in the trash)",
        f"Tracking:      {tracked}",
        f"Versions:      cpe {facts['cpe_version']}, SQLite {facts['sqlite_version']}"]))

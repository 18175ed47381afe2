"""Options shared by every command that shows a view of the ledger, and their completions.

A view is a date window (``--preset``, ``--from``/``--to``, ``--year``), a
source and optionally a field of study; ``list``, ``total`` and the exports
take exactly the same options, declared once here.
"""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from .completers import (complete_delivery, complete_fields, complete_presets, complete_record_sources,
                         complete_sources, complete_states)


Preset = Annotated[Optional[str], typer.Option(
    "--preset", "-p", metavar="NAME", autocompletion=complete_presets,
    help="Date window: ytd (default), last-7-days, last-30-days, last-year, all-time (or all).")]
FromDate = Annotated[Optional[str], typer.Option(
    "--from", metavar="DATE", help="First day, inclusive (overrides --preset; runs to today if --to is not given).")]
ToDate = Annotated[Optional[str], typer.Option(
    "--to", metavar="DATE", help="Last day, inclusive (overrides --preset; from the first record if --from is not given).")]
Year = Annotated[Optional[int], typer.Option(
    "--year", metavar="YYYY", help="One calendar year, 1 January to 31 December (not with --from/--to).")]
SourceFilter = Annotated[str, typer.Option(
    "--source", "-s", metavar="all|lumiq|external", autocompletion=complete_sources,
    help="Only platform courses (lumiq), only self-reported ones (external), or all.")]
FieldFilter = Annotated[Optional[str], typer.Option(
    "--field", "-f", metavar="FIELD", autocompletion=complete_fields,
    help="Only this NASBA field of study (a unique prefix is enough).")]

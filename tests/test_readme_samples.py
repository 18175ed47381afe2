"""The README's pictures of the badge, the list at 80 columns and a breakdown are what cpe prints today."""

import importlib.util
from pathlib import Path

TOOL = Path(__file__).resolve().parents[1] / "tools" / "readme_samples.py"


def load_tool():
    spec = importlib.util.spec_from_file_location("readme_samples", TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_readme_samples_are_current():
    tool = load_tool()
    assert tool.README.read_text(encoding="utf-8") == tool.current_readme(), \
        "stale: run python tools/readme_samples.py --write"


def test_the_list_sample_fits_80_columns_and_names_what_it_dropped():
    block = load_tool().README.read_text(encoding="utf-8").split("<!-- samples:start -->")[1]
    listing = block.split("$ cpe list")[1].split("```")[0]
    assert max(len(line) for line in listing.splitlines()) <= 80
    assert "Not shown at this width:" in listing

"""One declaration: the spec the fast route and completion read is generated from the Typer app, and current."""

import inspect
from importlib import import_module

import pytest

from cpe_cli.cli import spec_build
from cpe_cli.cli.spec import COMMANDS


def test_spec_is_generated_from_the_current_app():
    assert spec_build.SPEC_FILE.read_text() == spec_build.current_source(), \
        "stale: run python -m cpe_cli.cli.spec_build --write"


def test_the_spec_is_one_option_a_line():
    lines = spec_build.SPEC_FILE.read_text().splitlines()
    option_lines = [line for line in lines if line.startswith("            ((")]
    assert len(option_lines) == sum(len(entry["options"]) for entry in COMMANDS.values())


HANDLED = [(path, entry) for path, entry in COMMANDS.items() if entry["handler"]]


@pytest.mark.parametrize("path,entry", HANDLED, ids=[path for path, _ in HANDLED])
def test_each_handler_takes_exactly_the_declared_options(path, entry):
    """Both routes call the handler with one keyword per declared option and argument: the names must agree."""
    module, _, function = entry["handler"].partition(":")
    handler = getattr(import_module(f"cpe_cli.cli.handlers.{module}"), function)
    parameters = inspect.signature(handler).parameters
    declared = {option[1] for option in entry["options"] if "n" not in option[5]} | \
               {argument[0] for argument in entry["arguments"]}
    assert set(parameters) == declared
    assert all(parameter.kind is inspect.Parameter.KEYWORD_ONLY for parameter in parameters.values())


def test_every_command_has_a_handler_or_subcommands():
    for path, entry in COMMANDS.items():
        assert bool(entry["handler"]) != bool(entry["subcommands"]), path


def test_handlers_import_neither_typer_nor_rich_at_module_level():
    """The fast route imports a handler module; Typer there would undo the point of the route."""
    import ast
    from pathlib import Path

    folder = Path(import_module("cpe_cli.cli.handlers").__file__).parent
    for module in folder.glob("*.py"):
        tree = ast.parse(module.read_text())
        for node in tree.body:
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            assert not any(name.split(".")[0] in ("typer", "rich", "click") for name in names), module.name

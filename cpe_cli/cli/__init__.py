"""The command line: the Typer app, the fast route, completion, the form and the one output layer."""

"""Command handlers: what each command does, called alike by the Typer app and the fast route."""

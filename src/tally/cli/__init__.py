"""Command-line doors (Typer + Rich): parse, call one service, format."""

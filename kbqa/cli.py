"""The `kbqa` command: the service's commands (index, serve, ask) and the eval's (eval,
eval-suite). Library errors become one-line messages and exit status 2 here."""

from __future__ import annotations

import sys

import typer

from eval.cli import evaluate
from eval.suite import eval_suite
from indexer.errors import KbqaError
from service.cli import app

app.command("eval")(evaluate)
app.command("eval-suite")(eval_suite)


def main() -> None:
    try:
        app()
    except (KbqaError, ValueError, OSError) as exc:
        typer.secho(f"error: {exc}", fg="red", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()

"""``sveden demo``: the one bridge from the CLI to the test apparatus (:mod:`testbed`).

Only this module may import ``testbed``, and only inside the command, so that the rest of the CLI
works where the testbed is not installed.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


def demo(
    sites: Annotated[int, typer.Option("--sites", min=10, max=3000, help="Сколько сайтов в демонстрационной ферме")] = 200,
    seed: Annotated[int, typer.Option("--seed", help="Зерно генератора фермы")] = 2026,
    month: Annotated[str | None, typer.Option("--month", metavar="ГГГГ-ММ", help="Месяц ГГГГ-ММ (по умолчанию текущий)")] = None,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Каталог для отчётов")] = None,
) -> None:
    """Демонстрация: ферма синтетических сайтов на 127.0.0.1, обход за два месяца и отчёты."""
    try:
        from testbed.demo import run_demo  # the one import of testbed from product code
    except ModuleNotFoundError as exc:
        if exc.name not in ("testbed", "testbed.demo"):
            raise
        typer.echo("Ошибка: демонстрация недоступна — не установлен пакет testbed (ферма синтетических сайтов).", err=True)
        raise typer.Exit(2) from None
    from sveden.monitoring import current_month

    try:
        result = run_demo(sites, seed, month or current_month(), output, echo=lambda m: typer.echo(m, err=True))
    except RuntimeError as exc:
        typer.echo(f"Ошибка: {exc}", err=True)
        raise typer.Exit(1) from None
    import shutil
    import sys

    index = result.reports_dir / "index.html"
    env = "" if os.environ.get("SVEDEN_DATABASE_URL") else f"SVEDEN_DATABASE_URL={result.db_url} "
    # .venv/bin is usually not on PATH after ./scripts/demo: print a command that works as it is.
    exe = "sveden" if shutil.which("sveden") == os.path.abspath(sys.argv[0]) else os.path.abspath(sys.argv[0])
    typer.echo("")
    typer.echo(f"Готово. Результаты — в базе {result.db_url}")
    typer.echo(f"Региональный отчёт: {index}")
    typer.echo(f"Посмотреть в браузере: python3 -m http.server --directory {result.reports_dir} 8000  →  http://127.0.0.1:8000/")
    typer.echo(f"Отчёт заново: {env}{exe} report --month {result.month} -o {result.reports_dir}")
    typer.echo(f"Одна организация: {env}{exe} report --month {result.month} --org <код> -o отчёт")

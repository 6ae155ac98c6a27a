"""``sveden serve``: the self-check web page (uvicorn; see the README for production)."""

from __future__ import annotations

from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)


def serve(
    host: Annotated[str, typer.Option("--host", help="Адрес, на котором слушать (за обратным прокси — 127.0.0.1)")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Порт")] = 8000,
    workers: Annotated[int | None, typer.Option("--workers", min=1, metavar="ЧИСЛО", help="Сколько сайтов проверять одновременно (процессов проверки); по умолчанию SVEDEN_WEB_WORKERS или 2")] = None,
) -> None:
    """Страница самопроверки: форма адреса, ход проверки, отчёт (HTML, JSON, PDF), каталог правил и JSON API."""
    from sveden.web.config import ConfigError, WebConfig

    try:
        config = WebConfig.from_environment(**({"workers": workers} if workers else {}))
    except ConfigError as exc:
        typer.echo(f"Ошибка: {exc}", err=True)
        raise typer.Exit(2) from None
    import socket

    try:  # a port in use is the operator's to fix: said in Russian, before any worker starts
        with socket.create_server((host, port)):
            pass
    except OSError as exc:
        import errno

        why = {errno.EADDRINUSE: "порт занят другой программой", errno.EACCES: "нет прав слушать этот порт",
               errno.EADDRNOTAVAIL: "на этой машине нет такого адреса"}.get(exc.errno or 0, f"системная ошибка {exc.errno}")
        typer.echo(f"Ошибка: не удалось слушать {host}:{port} — {why}", err=True)
        raise typer.Exit(2) from None
    import uvicorn

    from sveden.web.app import create_app

    typer.echo(f"Страница самопроверки: http://{host}:{port}/ (проверок одновременно: {config.workers})", err=True)
    # One server process: the queue, the limits and the reports live in it (the checks run in its workers).
    # Behind a reverse proxy the client's address comes from X-Forwarded-For of FORWARDED_ALLOW_IPS (127.0.0.1).
    uvicorn.run(create_app(config), host=host, port=port, workers=1, proxy_headers=True, log_level="warning",
                limit_concurrency=1000, timeout_keep_alive=5)

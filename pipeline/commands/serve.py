"""``roadcam serve``: the API and web map with uvicorn."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "serve",
        help="serve the API and web map",
        description="Serve the API and web map with uvicorn.",
    )
    p.add_argument("--host", default=None, help="bind address (default: settings, 127.0.0.1)")
    p.add_argument("--port", type=int, default=None, help="port (default: settings, 8000)")
    p.add_argument(
        "--database",
        default=None,
        help="database URL (default: ROADCAM_DATABASE_URL or var/roadcam.sqlite)",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=None,
        help="worker processes (default: ROADCAM_WORKERS, 1); production: about one per core",
    )
    p.add_argument("--reload", action="store_true", help="reload on code changes (development)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import os

    import uvicorn

    from pipeline.serve_tcp import NoDelayHTTPProtocol
    from roadcam.settings import get_settings
    from store.engine import make_engine
    from store.migrate import require_migrated

    if args.database:
        os.environ["ROADCAM_DATABASE_URL"] = args.database
        get_settings.cache_clear()
    settings = get_settings()
    engine = make_engine(settings.database_url)
    try:
        require_migrated(engine)  # a clear error now beats a 500 on the first request
    finally:
        engine.dispose()
    # By import string: pipeline never imports api (they share only store).
    uvicorn.run(
        "api.main:create_app",
        factory=True,
        host=args.host or settings.api_host,
        port=args.port or settings.api_port,
        reload=args.reload,
        workers=None if args.reload else (args.workers or settings.workers),
        http=NoDelayHTTPProtocol,  # multi-worker sockets lacked TCP_NODELAY (serve_tcp.py)
        log_level="info",
    )
    return 0

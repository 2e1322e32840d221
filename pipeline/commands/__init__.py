"""One module per ``roadcam`` subcommand group.

Each module defines ``register(subparsers)`` which adds its parser(s) and
sets ``func`` to a callable ``(args) -> int``. :mod:`pipeline.cli` discovers
the modules here, so a new command needs no edit elsewhere.
"""

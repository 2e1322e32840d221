"""``roadcam users``: people and machines who may use the API (add, list, disable, token)."""

from __future__ import annotations

import argparse

ROLES = ("admin", "engineer", "inspector", "contractor", "viewer")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("users", help="users and roles of the API: add, list, disable, token")
    us = p.add_subparsers(dest="users_command", metavar="ACTION")
    us.required = True
    a = us.add_parser("add", help="add a user (the password is generated and printed once)")
    a.add_argument("username")
    a.add_argument("--role", required=True, choices=ROLES)
    a.add_argument("--contractor", default=None, help="the organisation (contractor role only)")
    a.add_argument("--full-name", default="")
    a.add_argument(
        "--password-stdin", action="store_true", help="read the password from stdin (one line)"
    )
    a.add_argument(
        "--reset-if-exists",
        action="store_true",
        help="when the user exists, give it a new password (and reactivate it) instead of failing",
    )
    a.set_defaults(func=run_add)
    ls = us.add_parser("list", help="list users and their roles")
    ls.set_defaults(func=run_list)
    d = us.add_parser("disable", help="disable a user and revoke their tokens")
    d.add_argument("username")
    d.set_defaults(func=run_disable)
    t = us.add_parser("token", help="make a bearer token for a user (printed once)")
    t.add_argument("username")
    t.add_argument(
        "--api-key", action="store_true", help="a machine's API key (no expiry unless --hours)"
    )
    t.add_argument(
        "--hours", type=float, default=None, help="lifetime (default: 12 h; API key: none)"
    )
    t.add_argument("--name", default="", help="what the token is for")
    t.set_defaults(func=run_token)
    for q in (a, ls, d, t):
        q.add_argument("--database", default=None)
        q.add_argument("--json", action="store_true")


def _user_dict(u) -> dict:
    return {
        "username": u.username,
        "role": u.role,
        "contractor": u.contractor,
        "full_name": u.full_name,
        "active": u.active,
        "created_at": u.created_at.isoformat(),
    }


def _password(args: argparse.Namespace) -> tuple[str, bool]:
    import secrets
    import sys

    from roadcam.errors import UsageError

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
        if len(password) < 8:
            raise UsageError("a password has at least 8 characters")
        return password, False
    return secrets.token_urlsafe(12), True


def run_add(args: argparse.Namespace) -> int:
    from pipeline.cli import print_json
    from store.audit import record_event
    from store.migrate import database_session
    from store.users import add_user, get_user, hash_password

    password, generated = _password(args)
    with database_session(args.database) as s:
        user = get_user(s, args.username)
        if user is not None and args.reset_if_exists:
            user.password_hash, user.active = hash_password(password), True
            record_event(s, "user", user.username, "reset_password", "cli")
            action = "password reset"
        else:
            user = add_user(s, args.username, args.role, password, args.full_name, args.contractor)
            record_event(s, "user", user.username, "add", "cli", None, user.role)
            action = "added"
        out = _user_dict(user)
    if generated:
        out["password"] = password
    if args.json:
        print_json(out)
    else:
        shown = f"; password: {password}" if generated else ""
        print(f"user {out['username']} ({out['role']}) {action}{shown}")
    return 0


def run_list(args: argparse.Namespace) -> int:
    from pipeline.cli import print_json
    from store.migrate import database_session
    from store.users import list_users

    with database_session(args.database) as s:
        rows = [_user_dict(u) for u in list_users(s)]
    if args.json:
        print_json({"users": rows, "count": len(rows)})
        return 0
    for r in rows:
        org = f" [{r['contractor']}]" if r["contractor"] else ""
        state = "" if r["active"] else " (disabled)"
        print(f"{r['username']}: {r['role']}{org}{state}")
    return 0


def run_disable(args: argparse.Namespace) -> int:
    from pipeline.cli import print_json
    from store.audit import record_event
    from store.migrate import database_session
    from store.users import disable_user

    with database_session(args.database) as s:
        user = disable_user(s, args.username)
        record_event(s, "user", user.username, "disable", "cli", "active", "disabled")
        out = _user_dict(user)
    if args.json:
        print_json(out)
    else:
        print(f"user {out['username']} disabled; their tokens are revoked")
    return 0


def run_token(args: argparse.Namespace) -> int:
    from pipeline.cli import print_json
    from roadcam.errors import InputNotFoundError, UsageError
    from store.migrate import database_session
    from store.users import SESSION_HOURS, get_user, issue_token

    kind = "api_key" if args.api_key else "session"
    hours = args.hours if args.hours is not None else (None if args.api_key else SESSION_HOURS)
    if hours is not None and hours <= 0:
        raise UsageError("--hours must be > 0")
    with database_session(args.database) as s:
        user = get_user(s, args.username)
        if user is None:
            raise InputNotFoundError(f"no user {args.username!r}")
        if not user.active:
            raise UsageError(f"user {args.username!r} is disabled")
        token, row = issue_token(s, user, kind, name=args.name, hours=hours)
        expires = row.expires_at.isoformat() if row.expires_at else None
    if args.json:
        print_json({"token": token, "kind": kind, "username": args.username, "expires_at": expires})
    else:
        print(token)
    return 0

"""`gemini-proxy accounts`: the account store the server and its admin API use.

A running server picks up what these commands change within `database.accounts_sync_seconds`.
Cookie values are never printed.
"""

import argparse
import asyncio
import getpass
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from proxy.accounts.cookies import GoogleCookies
    from proxy.accounts.store import AccountStore
    from proxy.core.config import Settings

CONFIG_INVALID = 2
FAILED = 1


def add_parser(
    commands: "argparse._SubParsersAction[argparse.ArgumentParser]", config_help: str
) -> None:
    accounts = commands.add_parser("accounts", help="list, add, test or remove stored accounts")
    accounts.add_argument("--config", help=config_help)
    actions = accounts.add_subparsers(dest="action", metavar="ACTION", required=True)
    actions.add_parser("list", help="stored accounts (names, state in the store, last change)")
    for action, text in (("add", "store a new account"), ("update", "give an account new cookies")):
        parser = actions.add_parser(action, help=text)
        parser.add_argument("name")
        given = parser.add_mutually_exclusive_group(required=True)
        given.add_argument(
            "--psid",
            nargs="?",
            const="",
            help="the __Secure-1PSID value; without one, both values are asked for without "
            "echo (a value on the command line stays in shell history and process lists)",
        )
        given.add_argument(
            "--cookies", type=Path, help="a cookies.txt or a browser extension's JSON export"
        )
        parser.add_argument("--psidts", help="the __Secure-1PSIDTS value (with --psid)")
        parser.add_argument("--proxy", help="upstream proxy URL for this account")
    test = actions.add_parser("test", help="sign accounts in to Gemini web now, one line each")
    test.add_argument("name", nargs="?", help="one account (default: all)")
    remove = actions.add_parser("remove", help="delete a stored account")
    remove.add_argument("name")
    actions.add_parser("new-key", help="print a new secret key for database.secret_key")


def _values(psid: str, psidts: str | None) -> "GoogleCookies":
    """The two values given; those not given with `--psid` alone are asked for at the terminal."""
    from proxy.accounts.cookies import from_values

    if psid:
        return from_values(psid, psidts)
    psid = getpass.getpass("__Secure-1PSID: ")
    return from_values(psid, psidts or getpass.getpass("__Secure-1PSIDTS: ") or None)


def run(options: argparse.Namespace) -> int:
    if options.action == "new-key":
        from cryptography.fernet import Fernet

        print(Fernet.generate_key().decode())
        return 0
    from proxy.core.config import ConfigError, load_settings

    try:
        settings = load_settings(options.config)
    except ConfigError as exc:
        print(f"gemini-proxy: config error: {exc}", file=sys.stderr)
        return CONFIG_INVALID
    from proxy.accounts.store import AccountStore, SecretKeyError

    secret = settings.database.secret_key
    store = AccountStore(settings.database_url, secret.get_secret_value() if secret else None)
    try:
        store.create_schema()
        return _act(options, settings, store)
    except SecretKeyError as exc:
        print(f"gemini-proxy: {exc}", file=sys.stderr)
        return FAILED
    finally:
        store.close()


def _act(options: argparse.Namespace, settings: "Settings", store: "AccountStore") -> int:
    from proxy.accounts.cookies import CookieFormatError, parse_cookie_text
    from proxy.accounts.service import initial_accounts

    if options.action == "list":
        stored = store.list()
        for account in stored:
            state = "disabled" if account.disabled else "enabled"
            print(f"{account.settings.name}: {state}, changed {account.updated_at:%Y-%m-%d %H:%M}")
        if not stored:
            print("no stored accounts")
        return 0
    if options.action in ("add", "update"):
        try:
            cookies = (
                parse_cookie_text(options.cookies.read_text(encoding="utf-8"))
                if options.cookies
                else _values(options.psid, options.psidts)
            )
        except (CookieFormatError, OSError) as exc:
            print(f"gemini-proxy: cookies rejected: {exc}", file=sys.stderr)
            return FAILED
        exists = store.get(options.name) is not None
        if exists == (options.action == "add"):
            verb = "exists already" if exists else "does not exist"
            print(f"gemini-proxy: account {options.name} {verb}", file=sys.stderr)
            return FAILED
        from providers.gemini_web import AccountSettings

        fields = {"name": options.name, "secure_1psid": cookies.psid}
        fields |= {"secure_1psidts": cookies.psidts, "proxy": options.proxy}
        store.put(AccountSettings.model_validate(fields))
        print(f"account {options.name}: stored")
        return 0
    if options.action == "remove":
        if not store.delete(options.name):
            print(f"gemini-proxy: no account {options.name}", file=sys.stderr)
            return FAILED
        print(f"account {options.name}: removed")
        return 0
    accounts, _ = initial_accounts(store, settings.accounts)
    chosen = [a for a in accounts if options.name in (None, a.name)]
    if not chosen:
        print(f"gemini-proxy: no account {options.name or '(none stored or configured)'}")
        return FAILED
    from proxy.commands.check import check_accounts

    results = asyncio.run(check_accounts(settings.model_copy(update={"accounts": chosen})))
    for result in results:
        print(result.line, flush=True)
    return FAILED if any(r.error for r in results) else 0

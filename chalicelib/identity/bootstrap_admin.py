"""Create the first admin (admins have no public sign-up).

    python -m chalicelib.identity.bootstrap_admin --email ops@example.com --password-stdin

It writes to the identity table the settings name (``BAZAAR_IDENTITY_TABLE``, with the
usual AWS credentials, or ``AWS_ENDPOINT_URL`` for the local cloud). It refuses when an
admin already exists, unless ``--allow-additional`` is given; later admins are promoted
by an admin through the API.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from botocore.exceptions import BotoCoreError, ClientError
from pydantic import ValidationError
from pynamodb.exceptions import PynamoDBException

from chalicelib.core.caller import Role
from chalicelib.core.errors import DomainError
from chalicelib.core.settings import get_settings
from chalicelib.identity.service import admin


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password for the new admin: ")
    if getpass.getpass("Repeat it: ") != first:
        raise SystemExit("The passwords differ")
    return first


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bootstrap_admin", description=__doc__.split("\n")[0])
    parser.add_argument("--email", required=True)
    parser.add_argument("--display-name", default=None)
    parser.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    parser.add_argument(
        "--allow-additional", action="store_true", help="create it even if an admin exists"
    )
    args = parser.parse_args(argv)
    try:
        return _bootstrap(args)
    except ValidationError as error:
        print(f"bootstrap_admin: invalid BAZAAR_* settings: {error}", file=sys.stderr)
    except (BotoCoreError, ClientError, PynamoDBException) as error:
        cause = getattr(error, "cause", None) or error  # pynamodb wraps botocore's error
        print(
            f"bootstrap_admin: cannot reach the identity table ({cause}). Set AWS credentials "
            "and AWS_REGION (or AWS_ENDPOINT_URL for the local cloud) and BAZAAR_IDENTITY_TABLE.",
            file=sys.stderr,
        )
    return 3


def _bootstrap(args: argparse.Namespace) -> int:
    settings = get_settings()
    if admin.admin_exists() and not args.allow_additional:
        print("An admin already exists; promote users through the API.", file=sys.stderr)
        return 1
    try:
        account = admin.provision_account(
            args.email,
            _password(args.password_stdin),
            role=Role.ADMIN,
            display_name=args.display_name,
        )
    except DomainError as error:
        print(f"{error.code}: {error.message}", file=sys.stderr)
        return 2
    print(f"admin {account.account_id} <{account.email}> created in {settings.identity_table}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

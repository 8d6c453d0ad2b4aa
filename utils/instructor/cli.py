"""python -m utils instructor {provision,status,env,fast-forward,cleanup} (see utils/instructor/__init__.py)."""

from __future__ import annotations

import argparse
import json
import sys

from .. import config, target, validation
from ..validation import InvalidInput
from . import DEFAULT_ROOM, room


def _defaults() -> tuple[str, str]:
    """(region, model): the instructor's WORKSHOP_* variables or workshop_config.json, else the workshop's."""
    merged = {}
    try:
        merged.update(config.read_file())
    except config.ConfigError:
        pass
    merged.update(config.env_overrides())
    return merged.get("region") or config.DEFAULT_REGION, merged.get("model_id") or config.DEFAULT_MODEL_ID


def _common(p: argparse.ArgumentParser) -> None:
    region, _ = _defaults()
    p.add_argument("--room", default=DEFAULT_ROOM, help=f"room name (default {DEFAULT_ROOM}); names the stack sets")
    p.add_argument("--region", default=region, help=f"Region of the room (default {region})")


def parser() -> argparse.ArgumentParser:
    _, model = _defaults()
    top = argparse.ArgumentParser(prog="python -m utils instructor",
                                  description="Provision, watch and clean up a room of workshop participants.")
    sub = top.add_subparsers(dest="command", required=True)

    p = sub.add_parser("provision", help="seat the room (stack sets on an OU or accounts, or prefixes in one account)")
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--ou", help="AWS Organizations OU ID (ou-xxxx-yyyyyyyy): SERVICE_MANAGED, automatic deployment")
    where.add_argument("--accounts", help="comma-separated account IDs: SELF_MANAGED stack sets")
    where.add_argument("--shared", type=int, metavar="N", help="N participant prefixes in this account")
    p.add_argument("--prefix-base", default="p", help="shared mode: prefixes are <base>01, <base>02, ... (default p)")
    p.add_argument("--predeploy", action="store_true", help="also deploy the workshop stack (notebook 01 adopts it)")
    p.add_argument("--model", default=model, help=f"model or inference profile (default {model})")
    p.add_argument("--hours", type=float, default=3.0, help="planned duration, for the cost estimate (default 3)")
    p.add_argument("--guardrail", action="store_true",
                   help="--ou only: attach an SCP that allows only the workshop's Region and model")
    p.add_argument("--dry-run", action="store_true", help="check and show the plan and its cost; create nothing")
    p.add_argument("--yes", action="store_true", help="on AWS, confirm the cost estimate without a prompt")
    _common(p)

    p = sub.add_parser("status", help="one row per participant")
    p.add_argument("--json", action="store_true", help="print a JSON list of objects")
    _common(p)

    p = sub.add_parser("env", help="print export lines for a participant's role and settings")
    p.add_argument("participant", help="account ID, or prefix in a shared account")
    _common(p)

    p = sub.add_parser("fast-forward", help="run the learner notebooks up to NN as a participant")
    p.add_argument("participant")
    p.add_argument("--to", required=True, help="last notebook to run, 00 to 05")
    _common(p)

    p = sub.add_parser("cleanup", help="remove everything of the room, then verify every account is empty")
    p.add_argument("--admin-role", default=None,
                   help="role to use in each account (default OrganizationAccountAccessRole for an OU, "
                        "AWSCloudFormationStackSetExecutionRole for a list of accounts)")
    _common(p)
    return top


def _plan(args):
    from .provision import Plan

    region = validation.region(args.region)
    model = validation.model_id(args.model, region)
    room_name = _room_name(args.room)
    if args.ou:
        ou = args.ou.strip()
        if not ou.startswith("ou-"):
            raise InvalidInput(f"--ou {args.ou!r} is not an OU ID", "OU IDs look like ou-ab12-cd34ef56 "
                               "(Organizations console, or aws organizations list-organizational-units-for-parent).")
        return Plan("ou", region, model, room_name, ou_id=ou, predeploy=args.predeploy, hours=args.hours,
                    guardrail=args.guardrail)
    if args.guardrail:
        raise InvalidInput("--guardrail needs --ou", "An SCP attaches to an OU; run with --ou OU_ID --guardrail.")
    if args.accounts is not None:
        ids = [validation.account_id(a) for a in args.accounts.split(",") if a.strip()]
        if not ids or len(set(ids)) != len(ids):
            raise InvalidInput(f"--accounts {args.accounts!r}: give distinct 12-digit account IDs",
                               "e.g. --accounts 111122223333,444455556666")
        return Plan("accounts", region, model, room_name, accounts=tuple(ids), predeploy=args.predeploy,
                    hours=args.hours)
    if args.shared < 1:
        raise InvalidInput(f"--shared {args.shared}: a room has at least one participant", "e.g. --shared 3")
    plan = Plan("shared", region, model, room_name, shared=args.shared, prefix_base=args.prefix_base,
                predeploy=args.predeploy, hours=args.hours)
    plan.prefixes  # noqa: B018 - validates every prefix before anything happens
    return plan


def _room_name(value: str) -> str:
    import re

    if not re.fullmatch(r"[a-z][a-z0-9-]{0,30}", value or ""):
        raise InvalidInput(f"--room {value!r} is not a valid room name",
                           "Use lowercase letters, digits and hyphens, starting with a letter (at most 31).")
    return value


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    try:
        if args.command == "provision":
            plan = _plan(args)
        else:
            args.region = validation.region(args.region)
            args.room = _room_name(args.room)
    except InvalidInput as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    target.activate()
    try:
        if args.command == "provision":
            return _provision(plan, args.dry_run, args.yes)
        if args.command == "status":
            from . import status

            r = room.require(args.region, args.room)
            rows = status.collect(r)
            if args.json:
                print(json.dumps(rows, indent=2, default=str))
            else:
                print(status.text(rows))
            return 0
        if args.command == "env":
            from . import env

            r = room.require(args.region, args.room)
            p = r.find(args.participant)
            values = env.variables(r, p)
            print(env.export_lines(values))
            return 0
        if args.command == "fast-forward":
            from . import env

            r = room.require(args.region, args.room)
            return env.fast_forward(r, r.find(args.participant), args.to)
        if args.command == "cleanup":
            from . import cleanup

            result = cleanup.cleanup(args.region, args.room, args.admin_role)
            print(cleanup.report(result))
            return 0 if result["verified_empty"] else 1
    except SystemExit as exc:
        if isinstance(exc.code, str):
            print(exc.code, file=sys.stderr)
            return 2
        raise
    return 2


def _provision(plan, dry_run: bool, yes: bool = False) -> int:
    from . import provision

    if dry_run:
        return provision.dry_run(plan)
    summary = provision.provision(plan, yes=yes)
    print(json.dumps({k: v for k, v in summary.items()}, indent=2, default=str))
    return 0

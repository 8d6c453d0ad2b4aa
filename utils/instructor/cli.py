"""python -m utils instructor {provision,status,env,handout,refresh,fast-forward,cleanup,rehearse}
(see utils/instructor/__init__.py).

Every mistake ends in one paragraph that says what to do next, never a traceback. Exit codes:

- 0: done (status: every row read and no participant in a failed state; cleanup: verified empty);
- 1: AWS or the room's state refused or failed (an OU that does not exist, a quota, a failed stack set operation,
  an unreachable sandbox or endpoint, expired credentials; status: a row unreadable or failed; cleanup: not
  verified empty);
- 2: the command line itself is wrong (checked before any AWS call, or a participant the room does not have);
- 130: interrupted (Ctrl-C); the message says what still runs in AWS and how to resume or clean up.

A genuine bug still shows its traceback: that is what a bug report needs.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys

from .. import config, target, validation
from ..cliargs import Parser
from ..lang import N_, _, argparse_speaking
from ..validation import InvalidInput
from . import DEFAULT_ROOM, room
from .errors import Failed, Usage

OK, FAILED, USAGE, INTERRUPTED = 0, 1, 2, 130
EXIT_CODES = N_("exit codes: 0 done; 1 AWS or the room's state refused or failed (status: a row unreadable or a "
                "participant failed); 2 the command line is wrong; 130 interrupted (the message says what still "
                "runs in AWS)")
OU_ID = re.compile(r"ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}")  # AWS Organizations API Reference, OrganizationalUnit.Id
MAX_HOURS = 168.0  # a week: beyond it, a "planned duration" is a typo, not a workshop
CONNECTION_ERRORS = ("EndpointConnectionError", "ConnectTimeoutError", "ConnectionClosedError", "ReadTimeoutError")


def _defaults() -> tuple[str, str]:
    """(region, model): the instructor's WORKSHOP_* variables or workshop_config.json, else the workshop's."""
    merged = {}
    try:
        merged.update(config.read_file())
    except config.ConfigError:
        pass
    merged.update(config.env_overrides())
    return merged.get("region") or config.DEFAULT_REGION, merged.get("model_id") or config.DEFAULT_MODEL_ID


def hours(text: str) -> float:
    """--hours: a finite number of hours, more than 0 and at most a week (argparse type)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(_("{text} is not a number of hours (e.g. 3 or 2.5)").format(
            text=repr(text))) from None
    if not math.isfinite(value) or not 0 < value <= MAX_HOURS:
        raise argparse.ArgumentTypeError(_("{text}: give the planned duration in hours, more than 0 and at most "
                                           "{most} (e.g. 3 or 2.5)").format(text=repr(text), most=f"{MAX_HOURS:g}"))
    return value


def duration(text: str) -> int:
    """--duration: seconds of a role session, as AssumeRole accepts them (900 to 43200)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(_("{text} is not a number of seconds (e.g. 14400 for 4 hours)").format(
            text=repr(text))) from None
    if not 900 <= value <= 43200:
        raise argparse.ArgumentTypeError(_("{value}: AWS STS AssumeRole accepts 900 to 43200 seconds "
                                           "(15 minutes to 12 hours), up to the role's maximum session duration")
                                         .format(value=value))
    return value


def notebook(text: str) -> str:
    """--to: a learner notebook from 00 to 07, as "NN" (06 is the optional corporate network, 07 the participant's
    own cleanup)."""
    from .env import LAST_NOTEBOOK

    if not re.fullmatch(r"\d{1,2}", text.strip()) or not 0 <= int(text) <= LAST_NOTEBOOK:
        raise argparse.ArgumentTypeError(_("{text}: give a notebook number from 00 to 07 (06 is the optional "
                                           "corporate network, 07 the participant's own cleanup)").format(
            text=repr(text)))
    return f"{int(text):02d}"


def positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(_("{text} is not a whole number").format(text=repr(text))) from None
    if value < 1:
        raise argparse.ArgumentTypeError(_("{value}: give at least 1").format(value=value))
    return value


def _common(p: argparse.ArgumentParser) -> None:
    region, _model = _defaults()
    p.add_argument("--room", default=DEFAULT_ROOM,
                   help=_("room name (default {room}); names the stack sets").format(room=DEFAULT_ROOM))
    p.add_argument("--region", default=region, help=_("Region of the room (default {region})").format(region=region))


def parser() -> argparse.ArgumentParser:
    _region, model = _defaults()
    codes = _(EXIT_CODES)
    top = Parser(prog="python -m utils instructor", epilog=codes,
                 description=_("Provision, watch and clean up a room of workshop participants."))
    sub = top.add_subparsers(dest="command", required=True)

    p = sub.add_parser("provision", epilog=codes,
                       help=_("seat the room (stack sets on an OU or accounts, or prefixes in one account)"))
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--ou",
                       help=_("AWS Organizations OU ID (ou-xxxx-yyyyyyyy): SERVICE_MANAGED, automatic deployment"))
    where.add_argument("--accounts", help=_("comma-separated account IDs: SELF_MANAGED stack sets"))
    where.add_argument("--shared", type=positive, metavar="N", help=_("N participant prefixes in this account"))
    p.add_argument("--prefix-base", default="p",
                   help=_("shared mode: prefixes are <base>01, <base>02, ... (default p)"))
    p.add_argument("--predeploy", action="store_true",
                   help=_("also deploy the workshop stack (notebook 01 adopts it)"))
    p.add_argument("--model", default=model,
                   help=_("model or inference profile (default {model})").format(model=model))
    p.add_argument("--hours", type=hours, default=3.0,
                   help=_("planned duration, for the cost estimate (default 3; more than 0, at most {most})").format(
                       most=f"{MAX_HOURS:g}"))
    p.add_argument("--guardrail", action="store_true",
                   help=_("--ou only: attach an SCP that allows only the workshop's Region and model"))
    p.add_argument("--dry-run", action="store_true", help=_("check and show the plan and its cost; create nothing"))
    p.add_argument("--yes", action="store_true", help=_("on AWS, confirm the cost estimate without a prompt"))
    _common(p)

    p = sub.add_parser("status", help=_("one row per participant"), epilog=codes)
    p.add_argument("--json", action="store_true",
                   help=_("print a JSON list of objects (rows with a problem say so)"))
    _common(p)

    p = sub.add_parser("env", help=_("print export lines for a participant's role and settings"), epilog=codes)
    p.add_argument("participant", help=_("account ID, or prefix in a shared account"))
    p.add_argument("--duration", type=duration, metavar="SECONDS",
                   help=_("session length (default: the role's maximum session duration, read with iam:GetRole)"))
    _common(p)

    p = sub.add_parser("handout", epilog=codes,
                       help=_("one credentials file and sheet per participant, plus a room sheet (CSV, Markdown)"))
    p.add_argument("--out", metavar="DIR", help=_("folder (default runs/instructor/<room>/handout, mode 0700)"))
    p.add_argument("--duration", type=duration, metavar="SECONDS",
                   help=_("session length (default: the role's maximum)"))
    _common(p)

    p = sub.add_parser("refresh", help=_("re-issue the handout's expired (or expiring) credentials and Studio links"),
                       epilog=codes)
    p.add_argument("--out", metavar="DIR", help=_("the handout's folder (default runs/instructor/<room>/handout)"))
    p.add_argument("--within", type=positive, default=15, metavar="MINUTES",
                   help=_("also re-issue what expires within this many minutes (default 15)"))
    _common(p)

    p = sub.add_parser("fast-forward", help=_("run the learner notebooks up to NN as a participant"), epilog=codes)
    p.add_argument("participant")
    p.add_argument("--to", required=True, type=notebook, help=_("last notebook to run, 00 to 07"))
    _common(p)

    p = sub.add_parser("cleanup", help=_("remove everything of the room, then verify every account is empty"),
                       epilog=codes)
    p.add_argument("--admin-role", default=None,
                   help=_("role to use in each account (default OrganizationAccountAccessRole for an OU, "
                          "AWSCloudFormationStackSetExecutionRole for a list of accounts)"))
    _common(p)

    p = sub.add_parser("rehearse", epilog=codes,
                       help=_("sandbox only: create an organization with an OU of N accounts to rehearse on"))
    p.add_argument("--accounts", type=positive, required=True, metavar="N",
                   help=_("how many participant accounts"))
    p.add_argument("--ou-name", default="workshop-room", help=_("the OU's name (default workshop-room)"))
    _common(p)
    return top


def _plan(args):
    from .provision import Plan

    region = validation.region(args.region)
    model = validation.model_id(args.model, region)
    room_name = _room_name(args.room)
    if args.ou is not None:
        ou = args.ou.strip()
        if not OU_ID.fullmatch(ou):
            raise InvalidInput(_("--ou {ou} is not an OU ID.").format(ou=repr(args.ou)),
                               _("OU IDs look like ou-ab12-cd34ef56: 'ou-', 4 to 32 lowercase letters or digits, '-', "
                                 "8 to 32 more (Organizations console, or aws organizations "
                                 "list-organizational-units-for-parent --parent-id r-xxxx)."))
        return Plan("ou", region, model, room_name, ou_id=ou, predeploy=args.predeploy, hours=args.hours,
                    guardrail=args.guardrail)
    if args.guardrail:
        raise InvalidInput(_("--guardrail needs --ou"), _("An SCP attaches to an OU; run with --ou OU_ID --guardrail."))
    if args.accounts is not None:
        ids = [validation.account_id(a) for a in args.accounts.split(",") if a.strip()]
        if not ids or len(set(ids)) != len(ids):
            raise InvalidInput(_("--accounts {accounts}: give distinct 12-digit account IDs").format(
                accounts=repr(args.accounts)), _("e.g. --accounts 111122223333,444455556666"))
        return Plan("accounts", region, model, room_name, accounts=tuple(ids), predeploy=args.predeploy,
                    hours=args.hours)
    plan = Plan("shared", region, model, room_name, shared=args.shared, prefix_base=args.prefix_base,
                predeploy=args.predeploy, hours=args.hours)
    plan.prefixes  # noqa: B018 - validates every prefix before anything happens
    return plan


def _room_name(value: str) -> str:
    if not re.fullmatch(r"[a-z][a-z0-9-]{0,30}", value or ""):
        raise InvalidInput(_("--room {room} is not a valid room name").format(room=repr(value)),
                           _("Use lowercase letters, digits and hyphens, starting with a letter (at most 31)."))
    return value


def main(argv: list[str]) -> int:
    try:
        with argparse_speaking():  # argparse's own words (usage:, options, its mistakes) in the language in force
            args = parser().parse_args(argv)
    except SystemExit as exc:  # argparse printed the usage and the mistake (or --help)
        return exc.code if isinstance(exc.code, int) else USAGE
    try:
        if args.command == "provision":
            plan = _plan(args)
        else:
            args.region = validation.region(args.region)
            args.room = _room_name(args.room)
    except InvalidInput as exc:
        print(_error(exc), file=sys.stderr)
        return USAGE
    try:
        return _run(args, plan if args.command == "provision" else None)
    except KeyboardInterrupt:
        print(interrupted(args), file=sys.stderr)
        return INTERRUPTED
    except Usage as exc:
        print(_error(exc), file=sys.stderr)
        return USAGE
    except BrokenPipeError:  # `status | head`: the reader stopped reading; no traceback (Python docs, "SIGPIPE")
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return FAILED
    except Exception as exc:
        message = explain(exc, args)
        if message is None:
            raise  # a bug: its traceback is what a report needs
        print(message, file=sys.stderr)
        return FAILED
    except SystemExit as exc:  # the tooling's own refusals: the message says why and what to do
        if isinstance(exc.code, str):
            print(exc.code if exc.code.startswith(("error:", _error(""))) else _error(exc.code), file=sys.stderr)
            return FAILED
        raise


def _error(message) -> str:
    """One paragraph that starts "error:" (in the language in force)."""
    return _("error: {message}").format(message=message)


def _run(args, plan) -> int:
    if args.command == "rehearse":
        from . import rehearse

        return rehearse.main(args)
    target.activate()
    if args.command == "provision":
        return _provision(plan, args.dry_run, args.yes)
    if args.command == "status":
        return _status(args)
    if args.command == "env":
        from . import env

        r = room.require(args.region, args.room)
        p = participant(r, args.participant)
        values, creds = env.variables(r, p, seconds=args.duration, with_credentials=True)
        print(env.expiry_note(creds, p), file=sys.stderr)
        print(env.export_lines(values, creds))
        return OK
    if args.command in ("handout", "refresh"):
        from . import handout

        r = room.require(args.region, args.room)
        if args.command == "handout":
            return handout.main(r, args.out, args.duration)
        return handout.refresh(r, args.out, args.within)
    if args.command == "fast-forward":
        from . import env

        r = room.require(args.region, args.room)
        return env.fast_forward(r, participant(r, args.participant), args.to)
    if args.command == "cleanup":
        from . import cleanup

        result = cleanup.cleanup(args.region, args.room, args.admin_role)
        print(cleanup.report(result))
        return OK if result["verified_empty"] else FAILED
    raise Usage(_("unknown command {command}").format(command=repr(args.command)))


def participant(r: room.Room, who: str) -> room.Participant:
    """The room's participant `who`; a name the room does not have is a mistake on the command line (exit 2)."""
    try:
        return r.find(who)
    except SystemExit as exc:
        raise Usage(str(exc.code)) from None


def _status(args) -> int:
    from . import status

    r = room.require(args.region, args.room)
    rows = status.collect(r)
    if args.json:  # for programs: English field names and values (status.FIELDS) in every language, kept stable
        print(json.dumps(rows, indent=2, default=str))
    else:
        print(status.text(rows))
    bad = [row for row in rows if row["problem"]]
    if bad:
        unreachable = [row for row in bad if row["error"].split(":")[0] in CONNECTION_ERRORS]
        head = _("{bad} of {total} participant(s) unreadable or failed (exit 1)").format(bad=len(bad), total=len(rows))
        if unreachable:
            tail = _("; {n} could not reach {where}: {hint}").format(n=len(unreachable), where=_where(),
                                                                    hint=_reach_hint())
        else:
            tail = _(": see each row's error, or its stack in the CloudFormation console.")
        print(head + tail, file=sys.stderr)
        return FAILED
    return OK


def _provision(plan, dry_run: bool, yes: bool = False) -> int:
    from . import provision

    if dry_run:
        return provision.dry_run(plan)
    summary = provision.provision(plan, yes=yes)
    print(json.dumps({k: v for k, v in summary.items()}, indent=2, default=str))
    return OK


# ---------------------------------------------------------------------------------------------- errors

def _where() -> str:
    import os

    url = os.environ.get("AWS_ENDPOINT_URL")
    return _("the sandbox at {url}").format(url=url) if url and target.is_loopback(url) else (url or "AWS")


def _reach_hint() -> str:
    import os

    url = os.environ.get("AWS_ENDPOINT_URL")
    if url and target.is_loopback(url):
        return _("no sandbox answers there. Start it (python -m sandbox start: its state is kept; if it prints "
                 "another URL, export that as AWS_ENDPOINT_URL), then run the same command again.")
    return _("check the network (a proxy or VPN?) and the Region, then run the same command again.")


def explain(exc: BaseException, args) -> str | None:
    """One paragraph for an AWS or state failure (exit 1), or None for a bug (its traceback is shown)."""
    from botocore import exceptions as bx

    from ..waiting import WaitTimeout
    from . import aws, stacksets

    provision = args.command == "provision"
    # Said only where it is known: a dry run creates nothing, and provision reads the OU before creating anything.
    read_first = getattr(exc, "operation_name", "") in ("ListAccountsForParent", "ListOrganizationalUnitsForParent")
    created_none = _(" Nothing was created.")
    nothing = created_none if provision and read_first else ""
    maybe = (created_none if getattr(args, "dry_run", False) else
             _(" Run the same command again once fixed: provision deploys what is missing.") if provision else "")
    if isinstance(exc, Failed | target.TargetError | stacksets.OperationFailed | WaitTimeout):
        return _error(exc)
    if isinstance(exc, InvalidInput):
        return _error(exc)
    if isinstance(exc, bx.EndpointConnectionError | bx.ConnectTimeoutError | bx.ConnectionClosedError
                  | bx.ReadTimeoutError):
        return _("error: could not reach {where} ({error}): {hint}").format(
            where=_where(), error=type(exc).__name__, hint=_reach_hint())
    if isinstance(exc, bx.NoCredentialsError | bx.PartialCredentialsError):
        return _("error: no AWS credentials found. Sign in first (for example aws sso login, or aws configure), or "
                 "rehearse on the sandbox (python -m sandbox start; export AWS_ENDPOINT_URL=...).")
    if isinstance(exc, bx.ClientError):
        code = aws.error_code(exc)
        err = exc.response.get("Error", {})
        # AWS's own words stay English (searchable) inside the sentence of either language.
        said = f"{exc.operation_name} answered {code}: {err.get('Message', '')}".rstrip(": .")
        if code == "ParentNotFoundException" and getattr(args, "ou", None):
            return _("error: the OU {ou} does not exist in this organization ({said}).{nothing} Find the OU ID in "
                     "the AWS Organizations console, or with aws organizations list-roots and aws organizations "
                     "list-organizational-units-for-parent --parent-id r-xxxx.").format(
                ou=args.ou, said=said, nothing=nothing)
        if code == "AWSOrganizationsNotInUseException":
            return _("error: this account is not in an organization ({said}).{nothing} Use --accounts or --shared, "
                     "or run from the organization's management account.").format(said=said, nothing=nothing)
        if code in ("ExpiredToken", "ExpiredTokenException", "RequestExpired"):
            return _("error: your credentials expired ({said}). Sign in again, then run the same command "
                     "again.").format(said=said)
        if "AccessDenied" in code or code in ("UnauthorizedOperation", "AccessDeniedException"):
            return _("error: AWS refused it: {said}.{maybe} The identity in use may not call {operation} there: run "
                     "as an identity that may (for --ou, the organization's management account), or ask for that "
                     "permission.").format(said=said, maybe=maybe, operation=exc.operation_name)
        if code == "ValidationError" and exc.operation_name == "AssumeRole":
            return _("error: {said}. Ask for fewer seconds with --duration (at most the role's "
                     "MaxSessionDuration; at most 3600 when your own identity is a role session, role "
                     "chaining).").format(said=said)
        dry = maybe if getattr(args, "dry_run", False) else ""
        if provision:
            return _("error: {said}.{dry} Fix the cause AWS names, then run the same command again: provision "
                     "deploys what is missing.").format(said=said, dry=dry)
        return _("error: {said}.{dry} Fix the cause AWS names, then run the same command again.").format(
            said=said, dry=dry)
    if isinstance(exc, bx.BotoCoreError):
        return _error(f"{type(exc).__name__}: {exc}")
    if isinstance(exc, OSError) and exc.filename:  # e.g. handout --out in a folder that cannot be written
        return _("error: {why}: {path}. Choose another folder (--out) or fix its permissions.").format(
            why=exc.strerror or exc, path=exc.filename)
    return None


def interrupted(args) -> str:
    """What Ctrl-C leaves running in AWS, and how to resume or clean up."""
    head = _("Interrupted (Ctrl-C).")
    if getattr(args, "dry_run", False):
        return f"{head} " + _("Dry run: nothing was created.")
    if args.command not in ("provision", "cleanup"):
        return f"{head} " + _("Nothing of this command keeps running in AWS; run it again when you are ready.")
    import shlex

    again = ("python -m utils instructor " + shlex.join(sys.argv[2:]) if sys.argv[1:3] == ["instructor", args.command]
             else f"python -m utils instructor {args.command} ...")
    try:
        running = still_running(args.region, args.room)
    except BaseException as exc:  # noqa: BLE001 - a second Ctrl-C, or AWS unreachable: say we could not tell
        running = None
        why = type(exc).__name__
    if running is None:
        what = _("Could not read what still runs in AWS ({error}); CloudFormation finishes any operation it "
                 "started.").format(error=why)
    elif running:
        what = _("Still running in AWS (CloudFormation carries on without this command): {running}.").format(
            running="; ".join(running))
    else:
        what = _("No CloudFormation operation of the room is running in AWS now.")
    if args.command == "provision":
        then = _("To resume, run the same command again ({again}): it waits for what is running and deploys what "
                 "is missing. To give up instead: python -m utils instructor cleanup --room {room}.").format(
            again=again, room=args.room)
    else:
        then = _("Run cleanup again ({again}): it continues from where it stopped and verifies every "
                 "account.").format(again=again)
    return f"{head} {what} {then}"


def still_running(region: str, room_name: str) -> list[str]:
    """The room's stack set operations and stacks that are in progress in AWS."""
    from . import aws, stacksets

    cfn = aws.client("cloudformation", region)
    found = []
    for name in (room.role_stack_set(room_name), room.workshop_stack_set(room_name)):
        if stacksets.describe(cfn, name) is None:
            continue
        for page in cfn.get_paginator("list_stack_set_operations").paginate(StackSetName=name):
            found += [_("stack set {name}: operation {id} ({action} {status})").format(
                          name=name, id=op["OperationId"], action=op.get("Action", ""), status=op["Status"])
                      for op in page["Summaries"] if op["Status"] in stacksets.ACTIVE_OPERATION]
    for page in cfn.get_paginator("describe_stacks").paginate():
        for s in page["Stacks"]:
            tags = room.tags_of(s.get("Tags"))
            if s["StackStatus"].endswith("_IN_PROGRESS") and (
                    tags.get("workshop-room") == room_name or s["StackName"] == room.shared_stack(room_name)):
                found.append(_("stack {name} ({status})").format(name=s["StackName"], status=s["StackStatus"]))
    return found

"""A participant's shell environment, and running the learner notebooks as that participant.

`env PARTICIPANT` prints `export` lines: the temporary credentials of WorkshopParticipant in the participant's
account (AWS STS AssumeRole from the instructor's identity), and the WORKSHOP_* values. With them, the unchanged
notebooks and `python -m utils run` work in that account:

    eval "$(python -m utils instructor env 111122223333)"

WORKSHOP_CONFIG points at a file of the participant's own (under runs/instructor/, or $WORKSHOP_INSTRUCTOR_DIR),
so running notebook 00 as a participant never overwrites the instructor's workshop_config.json.

How long the credentials last: by default the role's maximum session duration (MaxSessionDuration, 14400 s in
cfn/participant-role.yaml). It is read with iam:GetRole through WorkshopParticipant itself, which may read its own
role already (notebook 00's preflight; statement SimulateOwnPermissions), so the instructor needs no
administrative role for it. When the instructor's own identity is a role session (IAM Identity Center, an assumed
role), AWS limits the chained session to one hour ("role chaining"); the tooling then takes one hour and says so.
An explicit `--duration` is never shortened: AWS's refusal is shown instead. The expiry is printed every time.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

from .. import lang, target
from ..config import repo_root
from ..lang import _
from . import PARTICIPANT_ROLE, aws, room


def config_file(r: room.Room, p: room.Participant):
    """The participant's own config file: under $WORKSHOP_INSTRUCTOR_DIR, default runs/instructor/ (gitignored)."""
    base = os.environ.get("WORKSHOP_INSTRUCTOR_DIR") or str(repo_root() / "runs" / "instructor")
    return Path(base).expanduser() / r.name / p.id / "workshop_config.json"


CHAINED = "role chaining"  # in AWS's ValidationError when a chained session asks for more than an hour


def max_session_seconds(r: room.Room, p: room.Participant) -> tuple[int, str]:
    """(seconds, where from): the role's MaxSessionDuration, read through the role itself (iam:GetRole on its own
    ARN); AssumeRole's default of one hour when the role cannot read it."""
    make = r.clients(p, PARTICIPANT_ROLE)
    iam = make("iam")
    try:
        found = iam.get_role(RoleName=PARTICIPANT_ROLE)["Role"].get("MaxSessionDuration")
    except Exception as exc:  # e.g. an older role without that permission: AssumeRole's default, said so
        return aws.SESSION_SECONDS, _("AssumeRole's default (the role's maximum could not be read: {code})").format(
            code=aws.error_code(exc))
    return int(found or aws.SESSION_SECONDS), _("the role's maximum session duration")


def session_tags(p: room.Participant) -> dict[str, str]:
    """The session tag that notebook 06's statements of cfn/participant-role.yaml compare with its resources' tag
    participant (attribute-based access control): the prefix, or "default" (the value of utils.config's
    `participant`)."""
    return {"participant": p.prefix or "default"}


def credentials(r: room.Room, p: room.Participant, seconds: int | None = None) -> dict:
    """Fresh credentials of WorkshopParticipant for the participant, with "Expiration" and a "Note" on why that
    long. `seconds` None: the role's maximum (one hour under role chaining); an explicit value is never changed.
    The session carries the tag participant=<prefix or "default"> (`session_tags`)."""
    from botocore.exceptions import ClientError

    name = f"participant-{p.id}"[:64]
    tags = session_tags(p)
    if seconds is not None:
        creds = aws.assume(p.account_id, PARTICIPANT_ROLE, r.region, session_name=name, seconds=seconds, fresh=True,
                           tags=tags)
        return {**creds, "Note": _("{seconds} s, as asked with --duration").format(seconds=seconds)}
    wanted, why = max_session_seconds(r, p)
    try:
        creds = aws.assume(p.account_id, PARTICIPANT_ROLE, r.region, session_name=name, seconds=wanted, fresh=True,
                           tags=tags)
    except ClientError as exc:
        message = exc.response.get("Error", {}).get("Message", "")
        if wanted <= aws.SESSION_SECONDS or CHAINED not in message:
            raise
        creds = aws.assume(p.account_id, PARTICIPANT_ROLE, r.region, session_name=name,
                           seconds=aws.SESSION_SECONDS, fresh=True, tags=tags)
        return {**creds, "Note": _("one hour, not {seconds} s: your own identity is a role session, and AWS limits a "
                                   "chained role session to one hour (role chaining). Re-issue before it expires "
                                   "(env again, or instructor refresh), or run as an identity that is not a role "
                                   "session").format(seconds=wanted)}
    return {**creds, "Note": _("{seconds} s, {why}").format(seconds=wanted, why=why)}


def variables(r: room.Room, p: room.Participant, seconds: int | None = None, with_credentials: bool = False):
    """The environment of a participant: credentials, then the workshop's settings (and, with
    `with_credentials`, the credentials themselves, for their expiry)."""
    creds = credentials(r, p, seconds)
    tgt = target.active()
    out = {
        "AWS_ACCESS_KEY_ID": creds["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": creds["SecretAccessKey"],
        "AWS_SESSION_TOKEN": creds["SessionToken"],
        "AWS_REGION": r.region,
        "AWS_DEFAULT_REGION": r.region,
        "WORKSHOP_TARGET": tgt.name,
        "WORKSHOP_REGION": r.region,
        "WORKSHOP_ACCOUNT_ID": p.account_id,
        "WORKSHOP_MODEL_ID": r.model_id,
        "WORKSHOP_PREFIX": p.prefix,
        "WORKSHOP_CONFIG": str(config_file(r, p)),
    }
    if tgt.is_sandbox and os.environ.get("AWS_ENDPOINT_URL"):
        out["AWS_ENDPOINT_URL"] = os.environ["AWS_ENDPOINT_URL"]
    return (out, creds) if with_credentials else out


def expires_text(creds: dict) -> str:
    """"2026-12-07 05:41 UTC (in 4 h 00 min)"."""
    from datetime import UTC, datetime

    when = creds["Expiration"]
    left = max(0, int((when - datetime.now(UTC)).total_seconds()) // 60)
    return _("{when} UTC (in {hours} h {minutes} min)").format(
        when=f"{when.astimezone(UTC):%Y-%m-%d %H:%M}", hours=left // 60, minutes=f"{left % 60:02d}")


def expiry_note(creds: dict, p: room.Participant) -> str:
    note = creds.get("Note", "")
    if not note:
        return _("Credentials of {role} for {id} expire at {expires}.").format(
            role=PARTICIPANT_ROLE, id=p.id, expires=expires_text(creds))
    return _("Credentials of {role} for {id} expire at {expires}: {note}.").format(
        role=PARTICIPANT_ROLE, id=p.id, expires=expires_text(creds), note=note)


def export_lines(values: dict, session: dict | None = None) -> str:
    creds = " ".join(f"{k}={shlex.quote(values[k])}" for k in
                     ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"))
    rest = " ".join(f"{k}={shlex.quote(v)}" for k, v in values.items() if not k.startswith("AWS_")
                    or k in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL"))
    lines = ["unset AWS_PROFILE", f"export {creds}", f"export {rest}"]
    if session is not None:
        lines.insert(0, "# " + _("credentials of {role} in {account}, valid until {expires}").format(
            role=PARTICIPANT_ROLE, account=values.get("WORKSHOP_ACCOUNT_ID", ""), expires=expires_text(session)))
    return "\n".join(lines)


LAST_NOTEBOOK = 7  # notebooks/07_cleanup.ipynb; 06 (the corporate network) is optional for a learner


def fast_forward(r: room.Room, p: room.Participant, to: str, echo=print) -> int:
    """Run the learner notebooks 00..NN as the participant (`python -m utils run --only ...`); its exit code.
    Up to 06 includes the optional corporate network; 07 is the participant's own cleanup."""
    last = int(to) if str(to).isdigit() else -1
    if not 0 <= last <= LAST_NOTEBOOK:
        raise SystemExit(_("--to {to}: give a notebook number from 00 to 07 (06 is the optional corporate "
                           "network, 07 the participant's own cleanup).").format(to=repr(to)))
    only = ",".join(f"{i:02d}" for i in range(last + 1))
    env = {**os.environ, **variables(r, p)}
    env.pop("AWS_PROFILE", None)
    config_file(r, p).parent.mkdir(parents=True, exist_ok=True)
    if p.prefix:
        echo(_("Running notebooks {only} as {id} ({role} in {account}, prefix {prefix})").format(
            only=only, id=p.id, role=PARTICIPANT_ROLE, account=p.account_id, prefix=p.prefix))
    else:
        echo(_("Running notebooks {only} as {id} ({role} in {account})").format(
            only=only, id=p.id, role=PARTICIPANT_ROLE, account=p.account_id))
    # The instructor's language: a Japanese room runs notebooks/ja/ (as its participants do), and notebook 00 saves
    # that language in the participant's configuration.
    cmd = [sys.executable, "-m", "utils", "run", "--only", only, "--lang", lang.current(),
           "--out", str(config_file(r, p).parent / "runs")]
    return subprocess.run(cmd, env=env, cwd=repo_root(), check=False).returncode

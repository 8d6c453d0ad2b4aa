"""A participant's shell environment, and running the learner notebooks as that participant.

`env PARTICIPANT` prints `export` lines: the temporary credentials of WorkshopParticipant in the participant's
account (AWS STS AssumeRole from the instructor's identity), and the WORKSHOP_* values. With them, the unchanged
notebooks and `python -m utils run` work in that account:

    eval "$(python -m utils instructor env 111122223333)"

WORKSHOP_CONFIG points at a file of the participant's own (under runs/instructor/, or $WORKSHOP_INSTRUCTOR_DIR),
so running notebook 00 as a participant never overwrites the instructor's workshop_config.json.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

from .. import target
from ..config import repo_root
from . import PARTICIPANT_ROLE, aws, room


def config_file(r: room.Room, p: room.Participant):
    """The participant's own config file: under $WORKSHOP_INSTRUCTOR_DIR, default runs/instructor/ (gitignored)."""
    base = os.environ.get("WORKSHOP_INSTRUCTOR_DIR") or str(repo_root() / "runs" / "instructor")
    return Path(base).expanduser() / r.name / p.id / "workshop_config.json"


def variables(r: room.Room, p: room.Participant, seconds: int = aws.SESSION_SECONDS) -> dict:
    """The environment of a participant: credentials, then the workshop's settings."""
    creds = aws.assume(p.account_id, PARTICIPANT_ROLE, r.region, session_name=f"participant-{p.id}"[:64],
                       seconds=seconds, fresh=True)
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
    return out


def export_lines(values: dict, expires=None) -> str:
    creds = " ".join(f"{k}={shlex.quote(values[k])}" for k in
                     ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"))
    rest = " ".join(f"{k}={shlex.quote(v)}" for k, v in values.items() if not k.startswith("AWS_")
                    or k in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL"))
    lines = ["unset AWS_PROFILE", f"export {creds}", f"export {rest}"]
    if expires is not None:
        lines.insert(0, f"# credentials of {PARTICIPANT_ROLE}, valid until {expires:%Y-%m-%d %H:%M:%S %Z}")
    return "\n".join(lines)


def fast_forward(r: room.Room, p: room.Participant, to: str, echo=print) -> int:
    """Run the learner notebooks 00..NN as the participant (`python -m utils run --only ...`); its exit code."""
    last = int(to)
    if not 0 <= last <= 5:
        raise SystemExit(f"--to {to!r}: give a notebook number from 00 to 05 (07 is the participant's cleanup).")
    only = ",".join(f"{i:02d}" for i in range(last + 1))
    env = {**os.environ, **variables(r, p)}
    env.pop("AWS_PROFILE", None)
    config_file(r, p).parent.mkdir(parents=True, exist_ok=True)
    echo(f"Running notebooks {only} as {p.id} ({PARTICIPANT_ROLE} in {p.account_id}"
         + (f", prefix {p.prefix}" if p.prefix else "") + ")")
    cmd = [sys.executable, "-m", "utils", "run", "--only", only,
           "--out", str(config_file(r, p).parent / "runs")]
    return subprocess.run(cmd, env=env, cwd=repo_root(), check=False).returncode

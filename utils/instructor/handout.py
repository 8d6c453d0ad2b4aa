"""`instructor handout` and `instructor refresh`: what each participant needs to start, in a folder for the room.

`handout` writes, under runs/instructor/<room>/handout/ (or --out; the folder is mode 0700, every file 0600,
because the files hold credentials):

- `<participant>.env`: the participant's credentials and WORKSHOP_* settings as `export` lines, to `source` in
  a terminal in the workshop's folder (what `instructor env` prints, less WORKSHOP_CONFIG: a participant on their
  own machine keeps their own workshop_config.json);
- `<participant>.md`: their sheet: the account (or prefix), when the credentials expire, the commands, the
  console's switch-role link, and the SageMaker Studio link where the room has Studio;
- `room.csv` and `room.md`: one row per participant with the same facts (no secrets: they point at the files).

Credentials last the role's maximum session (utils.instructor.env.credentials). The console link is
`https://signin.aws.amazon.com/switchrole?account=...&roleName=WorkshopParticipant&displayName=...`: it works for
someone signed in to the console with an identity of the instructor's account that may assume the role (the
role trusts that account). Studio: when the instructor's account has a Studio domain `<room>-studio`
(cfn/studio-domain.yaml) with a user profile named after the participant, CreatePresignedDomainUrl gives a link
that must be opened within 5 minutes (ExpiresInSeconds, at most 300); print the sheets right before handing
them out, or run `refresh`.

`refresh` reads room.csv and re-issues the credentials that expired or expire within --within minutes, and
every Studio link older than 5 minutes; it rewrites those files and the room sheets.
"""

from __future__ import annotations

import csv
import io
import os
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ..config import repo_root
from ..lang import _
from . import PARTICIPANT_ROLE, aws, env, room
from .status import workers

# room.csv's columns: read back by `refresh` and by the instructor's own scripts, so English in every language and
# kept stable (room.md and the sheets are for people, in the language in force).
COLUMNS = ["participant", "account_id", "prefix", "credentials_file", "expires", "console", "studio",
           "studio_expires", "note"]
STUDIO_LINK_SECONDS = 300  # CreatePresignedDomainUrl ExpiresInSeconds: 5 to 300


def folder(r: room.Room, out: str | None = None) -> Path:
    if out:
        return Path(out).expanduser()
    base = os.environ.get("WORKSHOP_INSTRUCTOR_DIR") or str(repo_root() / "runs" / "instructor")
    return Path(base).expanduser() / r.name / "handout"


def switch_role_link(account_id: str, display: str) -> str:
    query = urllib.parse.urlencode({"account": account_id, "roleName": PARTICIPANT_ROLE, "displayName": display})
    return f"https://signin.aws.amazon.com/switchrole?{query}"


def studio_domain(r: room.Room) -> tuple[str | None, str]:
    """(domain ID or None, a note): the instructor account's Studio domain `<room>-studio`, if any."""
    try:
        sm = aws.client("sagemaker", r.region)
        for page in sm.get_paginator("list_domains").paginate():
            for d in page["Domains"]:
                if d.get("DomainName") == f"{r.name}-studio":
                    return d["DomainId"], ""
    except Exception as exc:  # no Studio, or no permission to look: the sheets say so
        return None, _("Studio not looked up ({code})").format(code=aws.error_code(exc))
    return None, ""


def studio_link(r: room.Room, domain_id: str | None, p: room.Participant) -> tuple[str, str, str]:
    """(URL, its expiry, a note) for the participant's user profile, or empty strings."""
    if not domain_id:
        return "", "", ""
    sm = aws.client("sagemaker", r.region)
    try:
        url = sm.create_presigned_domain_url(DomainId=domain_id, UserProfileName=p.id,
                                             ExpiresInSeconds=STUDIO_LINK_SECONDS)["AuthorizedUrl"]
    except Exception as exc:  # e.g. no user profile named after this participant
        return "", "", _("no Studio link ({code})").format(code=aws.error_code(exc))
    until = datetime.now(UTC) + timedelta(seconds=STUDIO_LINK_SECONDS)
    return url, until.isoformat(timespec="seconds"), ""


def _write(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.chmod(path, 0o600)  # an existing file keeps its mode through O_CREAT


def _issue(r: room.Room, p: room.Participant, base: Path, seconds: int | None, domain_id: str | None,
           credentials: bool = True, studio: bool = True, row: dict | None = None) -> dict:
    row = dict(row or {})
    row.update(participant=p.id, account_id=p.account_id, prefix=p.prefix, credentials_file=f"{p.id}.env",
               console=switch_role_link(p.account_id, f"{r.name} {p.id}"))
    notes = []
    if credentials:
        values, creds = env.variables(r, p, seconds=seconds, with_credentials=True)
        values.pop("WORKSHOP_CONFIG", None)  # the participant's own machine keeps its own config file
        _write(base / f"{p.id}.env", env.export_lines(values, creds) + "\n")
        row["expires"] = creds["Expiration"].astimezone(UTC).isoformat(timespec="seconds")
        notes.append(creds.get("Note", ""))
    if studio:
        row["studio"], row["studio_expires"], note = studio_link(r, domain_id, p)
        notes.append(note)
    row["note"] = "; ".join(n for n in notes if n) or row.get("note", "")
    _write(base / f"{p.id}.md", sheet(r, row))
    return row


def sheet(r: room.Room, row: dict) -> str:
    """The participant's sheet (Markdown), in the language in force: the Japanese sheet points to notebooks/ja/."""
    if row["prefix"]:
        who = _("{id} (prefix {prefix} in account {account})").format(
            id=row["participant"], prefix=row["prefix"], account=row["account_id"])
    else:
        who = _("{id} (account {account})").format(id=row["participant"], account=row["account_id"])
    lines = ["# " + _("Bedrock over AWS PrivateLink: {who}").format(who=who), "",
             _("Room {room}, Region {region}, model {model}.").format(room=r.name, region=r.region, model=r.model_id),
             "", "## " + _("In a terminal"), "",
             _("Your credentials are in `{file}`; they expire at {expires} (UTC). Copy it into the workshop's "
               "folder, then:").format(file=row["credentials_file"], expires=row["expires"]),
             "", "```bash", f"source {row['credentials_file']}",
             "python -m utils config        # " + _("shows your account, Region and model"),
             "jupyter lab                   # " + _("then open {notebook}").format(notebook=_first_notebook()), "```",
             "", "## " + _("In the AWS console"), "",
             _("[Switch to {role}]({link}) (for someone signed in to the instructor's account who may assume the "
               "role).").format(role=PARTICIPANT_ROLE, link=row["console"]), ""]
    if row.get("studio"):
        lines += ["## " + _("In SageMaker Studio"), "",
                  _("[Open Studio]({link}): open it before {expires} (UTC); the link works for 5 minutes. Ask your "
                    "instructor for a new one after that.").format(link=row["studio"], expires=row["studio_expires"]),
                  ""]
    if row.get("note"):
        lines += [_("Note: {note}.").format(note=row["note"]), ""]
    return "\n".join(lines)


def _first_notebook() -> str:
    """notebooks/00_prerequisites.ipynb, or its translation (notebooks/ja/...) in the language in force."""
    from .. import lang

    language = lang.current()
    return "notebooks/00_prerequisites.ipynb" if language == "en" else f"notebooks/{language}/00_prerequisites.ipynb"


def room_sheets(r: room.Room, rows: list[dict], base: Path) -> None:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: row.get(k, "") for k in COLUMNS})
    _write(base / "room.csv", buf.getvalue())
    lines = ["# " + _("Room {room}: {n} participant(s), {region}, model {model}").format(
                 room=r.name, n=len(rows), region=r.region, model=r.model_id), "",
             _("| participant | account | prefix | credentials | expires (UTC) | console | Studio |"),
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for row in rows:
        studio = (_("[open]({link}) before {expires}").format(link=row["studio"], expires=row["studio_expires"])
                  if row.get("studio") else "-")
        lines.append(f"| {row['participant']} | {row['account_id']} | {row['prefix'] or '-'} | "
                     f"`{row['credentials_file']}` | {row.get('expires', '')} | "
                     + _("[switch role]({link})").format(link=row["console"]) + f" | {studio} |")
    _write(base / "room.md", "\n".join(lines) + "\n")


def _prepare(base: Path) -> None:
    base.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(base, 0o700)


def main(r: room.Room, out: str | None, seconds: int | None, echo=print) -> int:
    base = folder(r, out)
    _prepare(base)
    domain_id, note = studio_domain(r)
    with ThreadPoolExecutor(max_workers=workers(), thread_name_prefix="handout") as pool:
        rows = list(pool.map(lambda p: _issue(r, p, base, seconds, domain_id), r.participants))
    room_sheets(r, rows, base)
    soonest = min((row["expires"] for row in rows), default="")
    again = "python -m utils instructor refresh" + (f" --out {out}" if out else "") + (
        f" --room {r.name}" if r.name != room.DEFAULT_ROOM else "")
    if domain_id:
        studio = _("Studio links (domain {domain}) work for 5 minutes").format(domain=domain_id)
    else:
        studio = _("No Studio domain {name}").format(name=f"{r.name}-studio") + (f" ({note})" if note else "")
    first_note = rows[0]["note"] if rows and rows[0].get("note") else ""
    echo(_("Wrote the handout of {n} participant(s) to {base} (mode 0700: the .env files hold credentials): "
           "<participant>.env and .md each, room.csv, room.md. Credentials expire from {soonest} (UTC){note}. "
           "{studio}. Re-issue what expired with: {again}.").format(
        n=len(rows), base=base, soonest=soonest, note=f"; {first_note}" if first_note else "", studio=studio,
        again=again))
    return 0


def refresh(r: room.Room, out: str | None, within_minutes: int, echo=print) -> int:
    base = folder(r, out)
    sheet_file = base / "room.csv"
    if not sheet_file.exists():
        from .errors import Failed

        raise Failed(_("No handout in {base} (no room.csv). Write one first: {command}.").format(
            base=base, command="python -m utils instructor handout" + (f" --out {out}" if out else "")))
    with sheet_file.open(encoding="utf-8") as f:
        old = {row["participant"]: row for row in csv.DictReader(f)}
    now = datetime.now(UTC)
    soon = now + timedelta(minutes=within_minutes)
    domain_id, _note = studio_domain(r)

    def due(text: str, when: datetime) -> bool:
        try:
            return not text or datetime.fromisoformat(text) <= when
        except ValueError:
            return True

    def one(p: room.Participant) -> tuple[dict, list[str]]:
        row = old.get(p.id)
        creds = row is None or due(row.get("expires", ""), soon)
        studio = bool(domain_id) and (row is None or not row.get("studio") or due(row.get("studio_expires", ""), now))
        if not (creds or studio):
            return row, []
        done = ([_("credentials")] if creds else []) + ([_("Studio link")] if studio else [])
        return _issue(r, p, base, None, domain_id, credentials=creds, studio=studio, row=row), done

    with ThreadPoolExecutor(max_workers=workers(), thread_name_prefix="refresh") as pool:
        results = list(pool.map(one, r.participants))
    rows = [row for row, _done in results]
    room_sheets(r, rows, base)
    renewed = [f"{row['participant']} ({', '.join(done)})" for row, done in results if done]
    if renewed:
        echo(_("Re-issued for {n} of {total} participant(s): {renewed}. The handout is in {base}.").format(
            n=len(renewed), total=len(rows), renewed=", ".join(renewed), base=base))
    else:
        echo(_("Re-issued for 0 of {total} participant(s): nothing expires within {minutes} min. The handout is in "
               "{base}.").format(total=len(rows), minutes=within_minutes, base=base))
    return 0

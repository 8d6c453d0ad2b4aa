"""`python -m utils doctor`: inspect the live workshop and print a checklist, with the fix for every failure.

The checklist is one view of `utils.diagnosis` (the path view, `utils.pathview`, is the other): the configuration,
the caller's access, the stack, the network path (function in the VPC, DNS, endpoint, Availability Zones, security
groups), the endpoint policy (evaluated locally: AWS has no simulator for it), the function's role (IAM's
SimulatePrincipalPolicy, which covers permissions boundaries and service control policies), the model's
lifecycle, and, once the stack is gone, what is left over. Read-only: it never changes anything.

It never ends in a traceback: missing or expired credentials, an unreachable sandbox or Region, throttling and
AccessDenied on its own reads are failed checks with their fix.

Exit status: 0 when every check passes (or the workshop is cleanly removed), 1 when a check fails.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field

from .diagnosis import (  # noqa: F401  (the names the explainer and older callers use)
    IDENTITY_CHECK,
    SECTIONS,
    current_models,
    evaluate_endpoint,
    evaluate_identity,
    first_broken_link,
    label,
    model_facts,
    path_links,
    policy_document,
    request,
    role_policies,
    section_label,
    session_arn,
)
from .display import width_of
from .lang import _

MARKS = {"pass": "PASS", "fail": "FAIL", "unexplained": "FAIL", "unknown": "FAIL"}


@dataclass
class Check:
    section: str
    name: str
    ok: bool
    detail: str
    fix: str = ""
    status: str = ""  # pass | fail | unexplained | unknown ("" means pass/fail from ok)
    source: str = ""

    def line(self) -> str:
        mark = "PASS" if self.ok else MARKS.get(self.status, "FAIL")
        section = section_label(self.section)
        text = f"[{mark}] {section} {label(self.name)}: {self.detail}"
        if not self.ok and self.fix:
            text += "\n" + " " * (8 + width_of(section)) + f"{_('fix')}: {self.fix}"
        return text


@dataclass
class Report:
    checks: list[Check] = field(default_factory=list)
    state: dict = field(default_factory=dict)
    diagnosis: object = field(default=None, repr=False)  # the utils.diagnosis.Diagnosis it was made from, if any

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    @property
    def failures(self) -> list[Check]:
        return [c for c in self.checks if not c.ok]

    def add(self, section: str, name: str, ok: bool, detail: str, fix: str = "", status: str = "",
            source: str = "") -> Check:
        check = Check(section, name, bool(ok), detail, fix, status or ("pass" if ok else "fail"), source)
        self.checks.append(check)
        return check

    def text(self) -> str:
        lines = [c.line() for c in self.checks]
        failed = len(self.failures)
        unexplained = sum(1 for c in self.failures if c.status == "unexplained")
        lines.append("")
        if not failed:
            lines.append(_("Healthy: every check passed."))
        else:
            lines.append(_("{failed} problem(s) found; each FAIL line says how to fix it.").format(failed=failed)
                         + (_(" {unexplained} denial(s) the doctor cannot explain are marked unexplained.").format(
                                unexplained=unexplained)
                            if unexplained else ""))
        return "\n".join(lines)

    def table(self):
        from .display import table

        return table([{"section": c.section, "check": label(c.name), "result": "pass" if c.ok else "FAIL",
                       "detail": c.detail, "fix": "" if c.ok else c.fix} for c in self.checks],
                     ["section", "check", "result", "detail", "fix"])

    def _repr_markdown_(self) -> str:
        rows = [_("| | section | check | detail | fix |"), "|---|---|---|---|---|"]

        def cell(text: str) -> str:
            return text.replace("|", "\\|").replace("\n", " ")

        for c in self.checks:
            rows.append(f"| {'✅' if c.ok else '❌'} | {c.section} | {cell(label(c.name))} | {cell(c.detail)} | "
                        f"{'' if c.ok else cell(c.fix)} |")
        return "\n".join(rows)

    def __str__(self) -> str:
        return self.text()


def report_of(diag) -> Report:
    """The checklist of a `utils.diagnosis.Diagnosis`."""
    report = Report(state=diag.state, diagnosis=diag)
    for f in diag.findings:
        report.add(f.section, f.name, f.ok, f.detail, f.fix, f.status, f.source)
    return report


def gather(cfg, client) -> dict:
    """The live state (see `utils.diagnosis.gather`)."""
    from . import diagnosis

    return diagnosis.gather(cfg, client)


def diagnose(cfg, client) -> Report:
    """Gather the live state once and judge every link; the checklist."""
    from . import diagnosis

    return report_of(diagnosis.diagnose(cfg, client))


# ---------------------------------------------------------------- command line


_doctor_clients: dict = {}


def doctor_client(service: str, region: str | None = None):
    """The doctor's clients: the workshop's target, with fewer retries and shorter timeouts, so a throttled or
    unreachable read fails in seconds (and becomes a failed check) rather than after the notebooks' patience."""
    from botocore.config import Config

    from . import target

    base = target.client(service, region)  # the target's own checks (e.g. loopback only in tests) apply
    key = (service, base.meta.region_name)
    if key not in _doctor_clients:
        cfg = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=5, read_timeout=30,
                     parameter_validation=True)
        _doctor_clients[key] = target.session().client(service, region_name=base.meta.region_name, config=cfg)
    return _doctor_clients[key]


def _fail(report: Report, section: str, name: str, detail: str, fix: str) -> Report:
    report.add(section, name, False, detail, fix)
    return report


def main(argv: list[str] | None = None) -> int:
    from . import config, diagnosis, target
    from .cliargs import Parser
    from .lang import argparse_speaking

    with argparse_speaking():  # --help and a mistake (exit 2) in the learner's language
        parser = Parser(prog="python -m utils doctor", description=_(
            "Check every link of the live workshop and print the fix for each failure (exit 0 healthy, 1 "
            "problems)."))
        parser.add_argument("--no-path", action="store_true",
                            help=_("leave out the live path drawn after the checks"))
        args = parser.parse_args(list(argv or []))
    _doctor_clients.clear()
    report = Report()
    try:
        cfg = config.load()
    except ValueError as exc:
        fix = getattr(exc, "fix", "") or _("Run notebook 00 and save, or set the WORKSHOP_* variables.")
        print(_fail(report, "config", "configuration", str(getattr(exc, "problem", "") or exc), fix).text())
        return 1
    try:
        active = target.activate(cfg.target)
    except Exception as exc:  # TargetError and anything the start of a sandbox raises: a failed check, no traceback
        found = diagnosis.classify(exc, _("select the target"), "", cfg)
        print(_("Workshop doctor: {target} {region}, participant {participant}\n").format(
                  target=cfg.target, region=cfg.region, participant=cfg.participant))
        report.add("config", "configuration", True,
                   f"target {cfg.target}, region {cfg.region}, model {cfg.model_id}, stack {cfg.stack_name}")
        print(_fail(report, found.section, found.name, found.detail, found.fix).text())
        return 1
    try:
        diag = diagnosis.diagnose(cfg, doctor_client)
    except Exception as exc:  # a defect in the doctor itself: still a failed check, with what to report
        report.add("config", "configuration", True, f"target {cfg.target}, region {cfg.region}")
        print(_fail(report, "doctor", "diagnosis", _("the doctor failed: {name}: {exc}").format(
                                                       name=type(exc).__name__, exc=exc),
                    _("Please report this with the line above; meanwhile `python -m utils inventory` lists the "
                      "workshop's resources.")).text())
        return 1
    report = report_of(diag)
    try:  # notebook 06's corporate path, when it exists (utils.beyond)
        from . import beyond

        for check in beyond.doctor_checks(cfg, doctor_client):
            report.add("beyond", check["name"], check["ok"], check["detail"], check["fix"])
    except Exception as exc:  # a failed read is a failed check, never a traceback
        report.add("beyond", _("corporate path"), False, _("could not read the live state: {name}: {exc}").format(
            name=type(exc).__name__, exc=exc), _("Run `python -m utils inventory` to see what notebook 06 left."))
    where = _(" at {url}").format(url=active.endpoint_url) if active.endpoint_url else ""
    print(_("Workshop doctor: {target}{where} {region}, participant {participant}\n").format(
              target=cfg.target, where=where, region=cfg.region, participant=cfg.participant))
    print(report.text())
    if not args.no_path and (diag.state.get("outputs") or {}):
        from . import pathview

        print(_("\nLive path (the same diagnosis, drawn):\n") + pathview.render_text(diag.hops()))
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

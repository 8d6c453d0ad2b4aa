"""A live view of the private path: function -> endpoint -> Amazon Bedrock, green or red, with the reason.

It draws `utils.diagnosis`, the same diagnosis that `python -m utils doctor` prints as a checklist, so the two
cannot disagree. `path_hops(cfg)` returns three hops:

- **function**: the AWS Lambda function exists, is Active with its last update Successful, and runs in the
  stack's VPC.
- **endpoint**: the VPC has DNS support and DNS hostnames on; the bedrock-runtime interface endpoint is available
  with private DNS, in the function's Availability Zones; the security groups let TCP 443 through (a rule that
  references the function's group, or CIDRs that together contain every subnet the function sends from); and the
  endpoint policy, **evaluated locally** (AWS has no simulator for endpoint policies), lets the function's role call
  `bedrock:InvokeModel` on every ARN the model needs.
- **Amazon Bedrock**: IAM's policy simulator (SimulatePrincipalPolicy, with the endpoint in the request context)
  allows the call for the role, boundaries and service control policies included; and the model is ACTIVE.

Each hop is {"name", "ok", "detail", "fix", "checks": [{"name", "ok", "status", "detail", "fix", "source"}]}.
A check that could not be made is red ("not checked"), and a denial nobody can explain is red ("unexplained"):
never green.

`render(hops)` gives the notebook view (coloured boxes with the reasons, plus a Mermaid flowchart that
JupyterLab 4 renders); `render_text(hops)` gives plain lines for a terminal or a headless run.
"""

from __future__ import annotations

import html

from .diagnosis import (
    HOPS,  # noqa: F401  (the hop names, in order)
    label,
)
from .lang import N_, _

TITLES = {"function": N_("AWS Lambda function"), "endpoint": N_("VPC endpoint (AWS PrivateLink)"),
          "Amazon Bedrock": N_("Amazon Bedrock runtime")}
HOP_LABELS = (N_("function"), N_("endpoint"), N_("corporate client"))  # the hop names as shown (the keys stay English)
ACTION = "bedrock:InvokeModel"
# Short names for the diagram's node labels (the boxes and the text give the full check names).
SHORT = {N_("endpoint policy allows the function's role on every model ARN"): N_("endpoint policy"),
         N_("role allows bedrock:InvokeModel through the endpoint"): N_("role policies"),
         N_("endpoint SG allows 443 from the function"): N_("endpoint security group"),
         N_("function SG allows 443 out"): N_("function security group"),
         N_("endpoint serves the function's AZs"): N_("Availability Zones")}


def _short(name: str) -> str:
    """The diagram's short label of a check name."""
    return _(SHORT[name]) if name in SHORT else label(name)


def _check(name: str, ok: bool, detail: str, fix: str = "") -> dict:
    return {"name": name, "ok": bool(ok), "status": "pass" if ok else "fail", "detail": detail,
            "fix": "" if ok else fix, "source": ""}


def _hop(name: str, checks: list[dict]) -> dict:
    from .diagnosis import _hop as hop

    return hop(name, checks)


def path_hops(cfg=None, client=None) -> list[dict]:
    """The three hops of the path, from one live diagnosis. Never raises for a missing piece or a failed read."""
    from . import config, diagnosis, target

    cfg = cfg or config.load()
    return diagnosis.diagnose(cfg, client or target.client).hops()


# ---------------------------------------------------------------- views

GREEN = ("#dcfce7", "#16a34a", "#14532d")
RED = ("#fee2e2", "#dc2626", "#7f1d1d")


def mermaid(hops: list[dict]) -> str:
    """Mermaid flowchart of the hops: each node green or red, with its first problem as the label."""
    lines = ["flowchart LR"]
    for i, hop in enumerate(hops):
        failed = next((c for c in hop.get("checks", []) if not c["ok"]), None)
        note = f"✗ {_short(failed['name'])}" if failed else "✓ ok"
        label = f"{_(TITLES.get(hop['name'], hop['name']))}<br/>{note}".replace('"', "#quot;")
        lines.append(f'  h{i}["{label}"]')
    for i in range(len(hops) - 1):
        lines.append(f"  h{i} --> h{i + 1}")
    lines.append(f"  classDef ok fill:{GREEN[0]},stroke:{GREEN[1]},stroke-width:3px,color:{GREEN[2]}")
    lines.append(f"  classDef bad fill:{RED[0]},stroke:{RED[1]},stroke-width:3px,color:{RED[2]}")
    for i, hop in enumerate(hops):
        lines.append(f"  class h{i} {'ok' if hop['ok'] else 'bad'}")
    for i in range(len(hops) - 1):
        color = GREEN[1] if hops[i]["ok"] and hops[i + 1]["ok"] else RED[1]
        lines.append(f"  linkStyle {i} stroke:{color},stroke-width:3px")
    return "\n".join(lines)


def _box(hop: dict) -> str:
    fill, stroke, ink = GREEN if hop["ok"] else RED
    rows = []
    for c in hop.get("checks", []):
        mark = "✓" if c["ok"] else ("?" if c.get("status") in ("unexplained", "unknown") else "✗")
        rows.append(f"<li><b>{mark} {html.escape(label(c['name']))}</b>: {html.escape(c['detail'])}</li>")
    fix = (f"<div style='margin-top:6px'><b>{html.escape(_('Fix:'))}</b> {html.escape(hop['fix'])}</div>"
           if hop.get("fix") else "")
    status = _("OK") if hop["ok"] else _("BROKEN")
    return (f"<div class='workshop-hop workshop-hop-{'ok' if hop['ok'] else 'bad'}' style='flex:1;min-width:220px;"
            f"background:{fill};border:3px solid {stroke};color:{ink};border-radius:8px;padding:8px 10px'>"
            f"<div style='font-weight:bold'>{html.escape(_(TITLES.get(hop['name'], hop['name'])))}: {status}</div>"
            f"<ul style='margin:4px 0 0 0;padding-left:18px'>{''.join(rows)}</ul>{fix}</div>")


def to_html(hops: list[dict]) -> str:
    arrow = "<div style='align-self:center;font-size:28px;padding:0 6px'>&#8594;</div>"
    ok = all(h["ok"] for h in hops)
    head = (_("The private path is complete: every hop is green.") if ok else
            _("The path is broken at: {hops}.").format(hops=", ".join(_(h["name"]) for h in hops if not h["ok"])))
    return (f"<div class='workshop-pathview'><div style='font-weight:bold;margin-bottom:6px'>{html.escape(head)}"
            f"</div><div style='display:flex;gap:4px;align-items:stretch'>{arrow.join(_box(h) for h in hops)}"
            "</div></div>")


def render_text(hops: list[dict]) -> str:
    """Plain lines: one per hop, then its failing checks and the fix."""
    lines = []
    for hop in hops:
        lines.append(f"[{' OK ' if hop['ok'] else 'FAIL'}] {_(hop['name'])}: {hop['detail']}")
        if not hop["ok"] and hop.get("fix"):
            lines.append(f"       {_('fix')}: {hop['fix']}")
    ok = all(h["ok"] for h in hops)
    lines.append(_("The private path is complete.") if ok else
                 _("The path is broken at: {hops}.").format(hops=", ".join(_(h["name"]) for h in hops if not h["ok"])))
    return "\n".join(lines)


def render(hops: list[dict]):
    """The notebook view: an IPython HTML object (the boxes) that also displays the Mermaid flowchart."""
    from IPython.display import HTML

    class PathView(HTML):
        def __init__(self, data: str, diagram: str, text: str):
            super().__init__(data)
            self.diagram, self.text = diagram, text

        def __repr__(self) -> str:
            return self.text

        def _ipython_display_(self):
            from IPython.display import Markdown, display

            display({"text/html": self.data, "text/plain": self.text}, raw=True)
            display(Markdown(f"```mermaid\n{self.diagram}\n```"))

    return PathView(to_html(hops), mermaid(hops), render_text(hops))


def show(cfg=None, client=None) -> list[dict]:
    """Compute the hops and display them (notebook) or print them (headless); return the hops."""
    return _shown(path_hops(cfg, client))


def show_corporate(cfg=None, client=None) -> list[dict]:
    """Notebook 06: the corporate client's path (client -> Transit Gateway -> endpoint -> Amazon Bedrock), shown
    like `show`; the hops come from `utils.beyond.corporate_hops`."""
    from .beyond import corporate_hops

    return _shown(corporate_hops(cfg, client))


def _shown(hops: list[dict]) -> list[dict]:
    """Display the hops (notebook) or print them (headless); return them."""
    from .waiting import headless

    if headless():
        print(render_text(hops))
    else:
        from IPython.display import display

        display(render(hops))
    return hops

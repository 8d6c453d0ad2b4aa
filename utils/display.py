"""Tables and diagrams for the notebooks.

Tables are pandas DataFrames (imported only when a table is built, to keep kernels
quick to start). Diagrams are Mermaid text, which JupyterLab 4 and GitHub render in
markdown; each notebook's markdown has the architecture with its own step highlighted.
"""

from __future__ import annotations

from collections.abc import Iterable

from .lang import N_, _

# ---------------------------------------------------------------- tables


def table(rows: Iterable[dict], columns: list[str] | None = None):
    """A DataFrame of `rows` (dicts), with `columns` in that order when given."""
    import pandas as pd

    rows = list(rows)
    frame = pd.DataFrame(rows, columns=columns) if columns else pd.DataFrame(rows)
    return frame.rename(columns=lambda c: _(c) if c in HEADERS else c)


# Column names the workshop writes (notebook 04's and 06's address tables, the evidence's field/value tables, the
# inventory), shown in the learner's language. AWS's field names (DnsName, OutputKey, ...) stay as AWS spells them.
HEADERS = (N_("address"), N_("in VPC CIDR"), N_("endpoint ENI"), N_("field"), N_("value"), N_("type"), N_("id"),
           N_("name"), N_("state"))
# The inventory's resource types (utils.inventory's "type"), shown in the learner's language ("vpc" and "transit
# gateway" are AWS's names in either language).
RESOURCE_TYPES = (N_("cloudformation stack"), N_("subnet"), N_("route table"), N_("security group"),
                  N_("vpc endpoint"), N_("lambda function"), N_("network interface"), N_("iam role"),
                  N_("transit gateway attachment"), N_("resolver endpoint"),
                  N_("resolver rule"), N_("private hosted zone"))


def width_of(text: str) -> int:
    """Columns `text` takes in a terminal: East Asian wide and fullwidth characters take two."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def pad(text: str, width: int, right: bool = False) -> str:
    """`text` padded to `width` terminal columns (str.format pads by characters, which misaligns Japanese)."""
    fill = " " * max(0, width - width_of(text))
    return fill + text if right else text + fill


def key_values(mapping: dict, key: str = "key", value: str = "value"):
    """A two-column DataFrame of a dict (e.g. stack outputs)."""
    return table([{key: k, value: v} for k, v in mapping.items()], [key, value])


def outputs_table(outputs: dict):
    return key_values(outputs, "OutputKey", "OutputValue")


def dns_entries_table(endpoint: dict):
    """The endpoint's DNS names: one regional name, one per AZ, and the private DNS name."""
    rows = [{"DnsName": e.get("DnsName"), "HostedZoneId": e.get("HostedZoneId")}
            for e in endpoint.get("DnsEntries", [])]
    return table(rows, ["DnsName", "HostedZoneId"])


def enis_table(interfaces: list[dict]):
    """ENIs from DescribeNetworkInterfaces: ID, subnet, AZ, private IP, description."""
    rows = [{"NetworkInterfaceId": n.get("NetworkInterfaceId"), "SubnetId": n.get("SubnetId"),
             "AvailabilityZone": n.get("AvailabilityZone"), "PrivateIpAddress": n.get("PrivateIpAddress"),
             "Description": n.get("Description", "")} for n in interfaces]
    return table(rows, ["NetworkInterfaceId", "SubnetId", "AvailabilityZone", "PrivateIpAddress", "Description"])


def resource_type(kind: str | None) -> str | None:
    """An inventory row's "type" in the learner's language (AWS's own names, such as "vpc", stay)."""
    return _(kind) if kind in RESOURCE_TYPES else kind


def inventory_table(rows: list[dict]):
    """The inventory as a table; when it is empty, a sentence saying so (an empty table shows only its columns)."""
    if not rows:
        print(_("The inventory lists nothing."), flush=True)
        return None
    return table([{**r, "type": resource_type(r.get("type"))} for r in rows],
                 ["type", "id", "name", "state"])


# ---------------------------------------------------------------- diagrams

STEPS = {
    "00": ("you",),
    "01": ("stack", "vpc_sub", "fn", "role"),
    "02": ("eni", "vpce", "epol"),
    "03": ("role", "fn"),
    "04": ("fn", "eni", "vpce", "br", "ct"),
    "05": ("epol", "vpce"),
    "07": ("stack", "fn", "eni", "vpce", "role"),
}

_NODES = """flowchart LR
  you["You: notebook + boto3"]
  stack["AWS CloudFormation stack"]
  subgraph vpc["VPC Bedrock-GenAI-Project-vpc (no internet route)"]
    vpc_sub["2 private subnets, 2 AZs"]
    fn["AWS Lambda function (SG: egress 443)"]
    eni["Endpoint ENIs, private IPs (SG: 443 from the function only)"]
  end
  vpce["Interface endpoint bedrock-vpce (AWS PrivateLink)"]
  epol["Endpoint policy: Allow / Deny"]
  role["IAM role + inline policies (aws:sourceVpce)"]
  br["Amazon Bedrock runtime"]
  ct["AWS CloudTrail event (vpcEndpointId)"]
  you -->|"01 deploy"| stack
  stack -.-> vpc_sub
  you -->|"04/05 invoke"| fn
  role -.-> fn
  fn -->|"HTTPS 443, private DNS"| eni
  eni --> vpce
  epol -.-> vpce
  vpce --> br
  br -.-> ct"""


def architecture(step: str) -> str:
    """Mermaid source of the architecture with `step`'s parts highlighted ("00" ... "07")."""
    highlighted = STEPS[step]
    style = "fill:#ffd27f,stroke:#d97706,stroke-width:3px,color:#000"
    if step == "07":
        style = "fill:#fecaca,stroke:#b91c1c,stroke-width:3px,color:#000,stroke-dasharray: 5 3"
    lines = [_NODES, f"  classDef current {style}", f"  class {','.join(highlighted)} current"]
    return "\n".join(lines)


def architecture_markdown(step: str, caption: str) -> str:
    return f"```mermaid\n{architecture(step)}\n```\n\n*{caption}*"


def path_diagram(links: list[tuple[str, str, bool, str]]) -> str:
    """Mermaid source of a live path: [(from, to, ok, reason)], green links when ok, red when broken."""
    lines = ["flowchart LR"]
    names: dict[str, str] = {}
    for a, b, _label, _style in links:
        for n in (a, b):
            names.setdefault(n, f"n{len(names)}")
    for label, node in names.items():
        lines.append(f'  {node}["{label}"]')
    for i, (a, b, ok, reason) in enumerate(links):
        lines.append(f'  {names[a]} -->|"{reason}"| {names[b]}')
        color = "#16a34a" if ok else "#dc2626"
        lines.append(f"  linkStyle {i} stroke:{color},stroke-width:3px")
    return "\n".join(lines)


def show_mermaid(source: str) -> None:
    """Render Mermaid in a notebook output (JupyterLab 4 renders ```mermaid blocks in markdown)."""
    from IPython.display import Markdown, display

    display(Markdown(f"```mermaid\n{source}\n```"))

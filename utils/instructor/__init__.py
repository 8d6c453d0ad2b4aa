"""The instructor's tooling for a room of participants: provision, watch, help, and clean up.

    python -m utils instructor provision --ou OU_ID | --accounts ID,ID,... | --shared N [--prefix-base NAME]
                                         [--predeploy] [--model ID] [--hours H] [--guardrail] [--dry-run] [--yes]
    python -m utils instructor status [--json]
    python -m utils instructor env PARTICIPANT [--duration SECONDS]
    python -m utils instructor handout [--out DIR] [--duration SECONDS]
    python -m utils instructor refresh [--out DIR] [--within MINUTES]
    python -m utils instructor fast-forward PARTICIPANT --to NN
    python -m utils instructor cleanup
    python -m utils instructor rehearse --accounts N          (sandbox only)

Exit codes: 0 done; 1 AWS or the room's state refused or failed (status: a row unreadable or a participant
failed); 2 the command line is wrong; 130 interrupted (utils/instructor/cli.py).

Two ways to seat a room:

- **One account per participant** (any size). AWS CloudFormation StackSets deploy the same stacks to every account:
  SERVICE_MANAGED on an AWS Organizations OU (with automatic deployment: an account that joins the OU later gets
  its stacks too), or SELF_MANAGED on a list of account IDs (through the AWSCloudFormationStackSetAdministrationRole
  / AWSCloudFormationStackSetExecutionRole pair). Two stack sets: `<room>-participant` (cfn/participant-role.yaml,
  the role WorkshopParticipant) and, with `--predeploy`, `<room>-stack` (cfn/bedrock-privatelink.yaml, which
  notebook 01 then adopts).
- **Shared account** (small rooms): N participant prefixes in the instructor's account, after checking the
  "VPCs per Region" quota. One stack `<room>-participant` (the role), and with `--predeploy` the stacks
  `<prefix>-Bedrock-GenAI-Stack`.

State lives in AWS: the room is found again from its stack sets (or its stack) and their tags; nothing is kept
on the instructor's disk.
"""

from __future__ import annotations

DEFAULT_ROOM = "bedrock-workshop"
PARTICIPANT_ROLE = "WorkshopParticipant"
ORG_ACCESS_ROLE = "OrganizationAccountAccessRole"
ADMINISTRATION_ROLE = "AWSCloudFormationStackSetAdministrationRole"
EXECUTION_ROLE = "AWSCloudFormationStackSetExecutionRole"
ROLE_TEMPLATE = "cfn/participant-role.yaml"
ROOM_TAG = "workshop-room"
MODEL_TAG = "workshop-model"
PREFIXES_TAG = "workshop-room-prefixes"
HOURS_TAG = "workshop-hours"  # the planned duration, for the cost estimate

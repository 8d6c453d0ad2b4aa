"""CloudFormation StackSets in the sandbox (issue 9): see models.py for what is emulated and how.

Like the CloudFormation fixes, the handlers are installed on moto's CloudFormation responses at the
first CloudFormation request, which keeps the sandbox's start-up free of moto's CloudFormation import.
Operations advance lazily: before any request is handled, what has come due runs.
"""

from __future__ import annotations

from ..organizations import MEMBERSHIP_LISTENERS
from ..server import DEFERRED_PATCHES, RESET_HOOKS, ROUTES, AwsRequest, Route, route
from . import models, responses

DEFERRED_PATCHES.append(responses.apply)


@route(service="cloudformation", observe=True)
def _install_first(req: AwsRequest):
    responses.apply()
    return None  # moto answers, with our handlers


def _advance_due(req: AwsRequest):
    models.advance_all()
    return None


# First of all routes: stacks that a stack set operation creates exist before any handler looks for them.
ROUTES.insert(0, Route(_advance_due, observe=True))
MEMBERSHIP_LISTENERS.append(models.on_membership_change)
RESET_HOOKS.append(models.reset)

"""Amazon SageMaker Studio in the sandbox (issue 9, section 5): see models.py for what is emulated and how.

The API handlers are installed on moto's SageMaker responses at the first SageMaker request; the
CloudFormation resource models (AWS::SageMaker::Domain, UserProfile, Space, StudioLifecycleConfig) register
with moto's CloudFormation when models.py is imported, here at start-up.
"""

from __future__ import annotations

import sys

from ..server import DEFERRED_PATCHES, AwsRequest, route
from . import models, responses

_parsing = sys.modules.get("moto.cloudformation.parsing")
if _parsing is not None:  # moto's CloudFormation already built its type map: rebuild it with our models
    _parsing.get_model_map.cache_clear()
    _parsing.get_name_type_map.cache_clear()

__all__ = ["models"]


DEFERRED_PATCHES.append(responses.apply)


@route(service="sagemaker", observe=True)
def _install_first(req: AwsRequest):
    responses.apply()
    return None  # moto answers, with our handlers

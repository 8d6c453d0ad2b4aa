"""Amazon Bedrock in the sandbox, laid out as moto lays out a service.

- `responses`: the HTTP handlers (control plane and runtime), each authorized with `sandbox.authz` and
  recorded in CloudTrail;
- `validation`: request validation, apart from the handlers;
- `exceptions`: Bedrock's errors as typed exceptions;
- `models`: the sandbox's stand-in for a foundation model.

The model catalogue is `sandbox.bedrock_catalog`. Importing this package registers the routes.
"""

from . import responses  # noqa: F401 - registers Bedrock's routes with the server

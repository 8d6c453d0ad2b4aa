"""StackSets errors, as the AWS CloudFormation API Reference names them (moto's ServiceException, so moto's
serializer renders them in the query protocol's ErrorResponse)."""

from __future__ import annotations

from moto.cloudformation.exceptions import CloudFormationError


class StackSetValidationError(CloudFormationError):
    code = "ValidationError"


class OperationInProgressException(CloudFormationError):
    code = "OperationInProgressException"


class StackSetNotEmptyException(CloudFormationError):
    code = "StackSetNotEmptyException"


class StackSetNotFoundException(CloudFormationError):
    code = "StackSetNotFoundException"


class NameAlreadyExistsException(CloudFormationError):
    code = "NameAlreadyExistsException"


class InsufficientCapabilitiesException(CloudFormationError):
    code = "InsufficientCapabilitiesException"


class StackInstanceNotFoundException(CloudFormationError):
    code = "StackInstanceNotFoundException"


class OperationNotFoundException(CloudFormationError):
    code = "OperationNotFoundException"


class OperationIdAlreadyExistsException(CloudFormationError):
    code = "OperationIdAlreadyExistsException"

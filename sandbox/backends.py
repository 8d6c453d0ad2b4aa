"""Typed accessors for the moto backends that live in this process.

The sandbox runs moto in-process, so our layer reads and updates moto's state
directly instead of calling itself over HTTP.
"""

from __future__ import annotations

from moto.core import DEFAULT_ACCOUNT_ID

ACCOUNT_ID = DEFAULT_ACCOUNT_ID


def ec2(region: str):
    from moto.ec2.models import ec2_backends

    return ec2_backends[ACCOUNT_ID][region]


def iam():
    from moto.iam.models import iam_backends

    return iam_backends[ACCOUNT_ID]["aws"]


def sts():
    from moto.sts.models import sts_backends

    return sts_backends[ACCOUNT_ID]["aws"]


def awslambda(region: str):
    from moto.awslambda.models import lambda_backends

    return lambda_backends[ACCOUNT_ID][region]


def logs(region: str):
    from moto.logs.models import logs_backends

    return logs_backends[ACCOUNT_ID][region]


def cloudformation(region: str):
    from moto.cloudformation.models import cloudformation_backends

    return cloudformation_backends[ACCOUNT_ID][region]

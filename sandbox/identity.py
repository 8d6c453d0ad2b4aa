"""Who is calling: the principal behind a request's access key, and the account it acts in."""

from __future__ import annotations

from dataclasses import dataclass

from . import backends


@dataclass(frozen=True)
class Principal:
    arn: str  # as AWS reports it in errors and CloudTrail (assumed-role ARN for role sessions)
    account: str
    kind: str  # "assumed-role", "user" or "admin" (any credentials the sandbox does not know)
    role_arn: str | None = None  # the IAM role ARN behind an assumed-role session
    role_name: str | None = None
    session: str | None = None
    user_name: str | None = None

    @property
    def principal_arn(self) -> str:
        """The value of aws:PrincipalArn: the role ARN for a role session."""
        return self.role_arn or self.arn


def principal_for(access_key: str | None) -> Principal:
    """The principal an access key belongs to.

    Keys minted by STS (AssumeRole, or the Lambda runtime for a function's role)
    map to `arn:aws:sts::<acct>:assumed-role/<role>/<session>` in the role's account.
    Keys of IAM users map to the user. Any other credentials are the sandbox's
    administrator of the default account, the stand-in for the learner's own identity,
    and are not limited by IAM.
    """
    account = backends.account_for_access_key(access_key)
    if access_key and account is not None:
        role = backends.sts(account).get_assumed_role_from_access_key(access_key)
        if role is not None:
            role_arn = role.role_arn
            role_name = role_arn.split("/")[-1]
            return Principal(
                arn=role.arn,
                account=role.account_id,
                kind="assumed-role",
                role_arn=role_arn,
                role_name=role_name,
                session=role.session_name,
            )
        user = backends.iam(account).get_user_from_access_key_id(access_key)
        if user is not None:
            return Principal(arn=user.arn, account=user.account_id, kind="user", user_name=user.name)
    return Principal(arn=f"arn:aws:sts::{account}:user/moto", account=account, kind="admin")

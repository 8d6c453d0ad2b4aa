"""Amazon SageMaker Studio in the sandbox: domains, user profiles, lifecycle configurations, spaces, apps and
presigned domain URLs, as the Studio template and the instructor tooling use them (issue 9, section 5).

moto 5.2.1 has domains only (IDs `d-<name>`, a test URL, InService at once, deletable while in use) and no
user profiles, spaces, apps, Studio lifecycle configurations or presigned URLs, and creates no SageMaker
resource from CloudFormation. What this follows (Amazon SageMaker API Reference: CreateDomain,
CreateUserProfile, DescribeUserProfile, DeleteUserProfile, ListUserProfiles, CreateStudioLifecycleConfig,
CreateSpace, CreateApp, DeleteApp, ListApps, CreatePresignedDomainUrl; AWS CloudFormation resource
reference, AWS::SageMaker::Domain / UserProfile / StudioLifecycleConfig / Space):

- a domain ID is `d-` and 12 lowercase letters and digits; its URL is
  https://<domain id>.studio.<region>.sagemaker.aws; a domain is Pending, then InService;
- a user profile, space or app is Pending, then InService; deleting one makes it Deleting, then gone
  (an app: Deleted, still listed); a domain cannot be deleted while it has user profiles or spaces, nor a
  user profile or space while it has apps that are not deleted (ResourceInUse);
- CreatePresignedDomainUrl needs an InService user profile and answers
  https://<domain id>.studio.<region>.sagemaker.aws/auth?token=...;
- CloudFormation: Ref of a domain is its ID, of a lifecycle configuration its name, of a user profile or
  space its ARN; Fn::GetAtt gives the read-only properties.
Timing is lazy and follows SETTINGS.delay("sagemaker_resource").
"""

from __future__ import annotations

import base64
import random
import string
import uuid
from datetime import datetime, timedelta
from typing import Any

from moto.core.common_models import CloudFormationModel
from moto.sagemaker.exceptions import ResourceInUseException, ResourceNotFound, ValidationError

from .. import backends
from ..settings import SETTINGS

APP_TYPES = {"JupyterServer", "KernelGateway", "DetailedProfiler", "TensorBoard", "CodeEditor", "JupyterLab",
             "RStudioServerPro", "RSessionGateway", "Canvas"}


def now() -> datetime:
    from moto.core.utils import utcnow

    return utcnow()


def _arn(kind: str, path: str, account: str, region: str) -> str:
    return f"arn:aws:sagemaker:{region}:{account}:{kind}/{path}"


class Lifecycle:
    """Pending -> InService after the delay; Deleting -> gone (or Deleted) after the delay (lazy timing)."""

    def __init__(self):
        self.created = now()
        self.last_modified = self.created
        self.ready_at = self.created + timedelta(seconds=SETTINGS.delay("sagemaker_resource"))
        self.deleting_at: datetime | None = None
        self.gone_at: datetime | None = None

    def status(self, final_deleted: str | None = None) -> str | None:
        t = now()
        if self.gone_at is not None and t >= self.gone_at:
            return final_deleted
        if self.deleting_at is not None:
            return "Deleting"
        return "InService" if t >= self.ready_at else "Pending"

    def delete(self) -> None:
        if self.deleting_at is None:
            self.deleting_at = now()
            self.gone_at = self.deleting_at + timedelta(seconds=SETTINGS.delay("sagemaker_resource"))


def _store(region: str, account: str | None = None) -> dict:
    """The sandbox's SageMaker Studio records, kept on moto's SageMaker backend (reset and persisted with it)."""
    backend = backends.sagemaker(region, account)
    store = backend.__dict__.get("sandbox_studio")
    if store is None:
        store = backend.__dict__["sandbox_studio"] = {
            "profiles": {}, "spaces": {}, "apps": {}, "lifecycle_configs": {}, "domain_state": {}}
    return store


# ---------------------------------------------------------------- domains (moto's, completed)


def new_domain_id() -> str:
    return "d-" + "".join(random.choices(string.ascii_lowercase + string.digits, k=12))


def domain_url(domain_id: str, region: str) -> str:
    return f"https://{domain_id}.studio.{region}.sagemaker.aws"


def get_domain(region: str, domain_id: str, account: str | None = None):
    backend = backends.sagemaker(region, account)
    domain = backend.domains.get(domain_id)
    state = _store(region, account)["domain_state"].get(domain_id)
    if domain is None or (state is not None and state.status() is None):
        raise ResourceNotFound(f"Domain {domain_id} not found.")
    return domain


def domain_status(region: str, domain_id: str, account: str | None = None) -> str:
    state = _store(region, account)["domain_state"].get(domain_id)
    return state.status() if state is not None else "InService"


def purge(region: str, account: str | None = None) -> None:
    """Drop records whose deletion has completed."""
    store = _store(region, account)
    for key in ("profiles", "spaces", "lifecycle_configs"):
        for k, rec in list(store[key].items()):
            if rec.life.status() is None:
                del store[key][k]
    backend = backends.sagemaker(region, account)
    for domain_id, state in list(store["domain_state"].items()):
        if state.status() is None:
            backend.domains.pop(domain_id, None)
            del store["domain_state"][domain_id]


def create_domain(region: str, params: dict, account: str | None = None) -> dict:
    backend = backends.sagemaker(region, account)
    name = params.get("DomainName")
    if any(d.domain_name == name for d in backend.domains.values()):
        raise ResourceInUseException(
            f"Resource Already Exists: Domain with name {name} already exists. Choose a different name.")
    from moto.sagemaker.models import Domain

    domain_id = new_domain_id()
    domain = Domain.__new__(Domain)
    Domain.__init__(domain, domain_name=f"\0{domain_id}", auth_mode=params.get("AuthMode"),
                    default_user_settings=params.get("DefaultUserSettings"), subnet_ids=params.get("SubnetIds"),
                    vpc_id=params.get("VpcId"), account_id=backend.account_id, region_name=region,
                    domain_settings=params.get("DomainSettings"), tags=params.get("Tags"),
                    app_network_access_type=params.get("AppNetworkAccessType"),
                    home_efs_file_system_kms_key_id=params.get("HomeEfsFileSystemKmsKeyId"),
                    kms_key_id=params.get("KmsKeyId"),
                    app_security_group_management=params.get("AppSecurityGroupManagement"),
                    default_space_settings=params.get("DefaultSpaceSettings"))
    domain.domain_name = name
    domain.id = domain_id
    domain.arn = _arn("domain", domain_id, backend.account_id, region)
    domain.url = domain_url(domain_id, region)
    domain.home_efs_file_system_id = "fs-" + uuid.uuid4().hex[:17]
    domain.security_group_id_for_domain_boundary = "sg-" + uuid.uuid4().hex[:17]
    backend.domains[domain_id] = domain
    _store(region, account)["domain_state"][domain_id] = Lifecycle()
    return {"DomainArn": domain.arn, "DomainId": domain_id, "Url": domain.url}


def describe_domain(region: str, domain_id: str, account: str | None = None) -> dict:
    domain = get_domain(region, domain_id, account)
    out = {k: v for k, v in domain.describe().items() if v not in (None, "")}
    out["Status"] = domain_status(region, domain_id, account)
    return out


def delete_domain(region: str, domain_id: str, account: str | None = None) -> None:
    get_domain(region, domain_id, account)
    purge(region, account)
    store = _store(region, account)
    if any(p.domain_id == domain_id for p in store["profiles"].values()) or \
            any(s.domain_id == domain_id for s in store["spaces"].values()):
        raise ResourceInUseException(
            f"Domain {domain_id} has user profiles or spaces; delete them before deleting the domain.")
    state = store["domain_state"].setdefault(domain_id, Lifecycle())
    state.delete()
    purge(region, account)


# ---------------------------------------------------------------- user profiles and spaces


class Owner:
    kind = ""

    def __init__(self, region: str, account: str, domain_id: str, name: str, settings: dict | None,
                 tags: list | None):
        self.region = region
        self.account = account
        self.domain_id = domain_id
        self.name = name
        self.settings = settings or {}
        self.tags = tags or []
        self.life = Lifecycle()

    @property
    def arn(self) -> str:
        return _arn(self.kind, f"{self.domain_id}/{self.name}", self.account, self.region)


class UserProfile(Owner):
    kind = "user-profile"

    def describe(self) -> dict:
        return {"DomainId": self.domain_id, "UserProfileArn": self.arn, "UserProfileName": self.name,
                "HomeEfsFileSystemUid": str(200000 + abs(hash(self.arn)) % 100000),
                "Status": self.life.status("Deleted"), "CreationTime": self.life.created,
                "LastModifiedTime": self.life.last_modified, "UserSettings": self.settings}

    def summary(self) -> dict:
        return {"DomainId": self.domain_id, "UserProfileName": self.name, "Status": self.life.status("Deleted"),
                "CreationTime": self.life.created, "LastModifiedTime": self.life.last_modified}


class Space(Owner):
    kind = "space"

    def __init__(self, *args, owner: str | None = None, sharing: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.owner = owner
        self.sharing = sharing

    def describe(self) -> dict:
        out = {"DomainId": self.domain_id, "SpaceArn": self.arn, "SpaceName": self.name,
               "Status": self.life.status("Deleted"), "CreationTime": self.life.created,
               "LastModifiedTime": self.life.last_modified, "SpaceSettings": self.settings,
               "Url": f"{domain_url(self.domain_id, self.region)}/jupyterlab/{self.name}"}
        if self.owner:
            out["OwnershipSettings"] = {"OwnerUserProfileName": self.owner}
        if self.sharing:
            out["SpaceSharingSettings"] = self.sharing
        return out

    def summary(self) -> dict:
        out = {"DomainId": self.domain_id, "SpaceName": self.name, "Status": self.life.status("Deleted"),
               "CreationTime": self.life.created, "LastModifiedTime": self.life.last_modified}
        if self.owner:
            out["OwnershipSettingsSummary"] = {"OwnerUserProfileName": self.owner}
        return out


def _apps_in_use(store: dict, domain_id: str, *, profile: str | None = None, space: str | None = None) -> bool:
    return any(a.domain_id == domain_id and a.life.status("Deleted") not in ("Deleted", "Deleting")
               and ((profile and a.profile == profile) or (space and a.space == space))
               for a in store["apps"].values())


def create_user_profile(region: str, domain_id: str, name: str, settings: dict | None, tags: list | None,
                        account: str | None = None) -> UserProfile:
    get_domain(region, domain_id, account)
    purge(region, account)
    store = _store(region, account)
    if (domain_id, name) in store["profiles"]:
        raise ResourceInUseException(f"Resource Already Exists: UserProfile with name {name} already exists. "
                                     "Choose a different name.")
    profile = UserProfile(region, backends.sagemaker(region, account).account_id, domain_id, name, settings, tags)
    store["profiles"][(domain_id, name)] = profile
    return profile


def get_user_profile(region: str, domain_id: str, name: str, account: str | None = None) -> UserProfile:
    purge(region, account)
    profile = _store(region, account)["profiles"].get((domain_id, name))
    if profile is None:
        arn = _arn("user-profile", f"{domain_id}/{name}", backends.sagemaker(region, account).account_id, region)
        raise ResourceNotFound(f"User profile {arn} does not exist.")
    return profile


def delete_user_profile(region: str, domain_id: str, name: str, account: str | None = None) -> None:
    profile = get_user_profile(region, domain_id, name, account)
    store = _store(region, account)
    if _apps_in_use(store, domain_id, profile=name):
        raise ResourceInUseException(f"User profile {profile.arn} has apps that are not deleted; delete them first.")
    if any(s.domain_id == domain_id and s.owner == name for s in store["spaces"].values()):
        raise ResourceInUseException(f"User profile {profile.arn} owns spaces; delete them first.")
    profile.life.delete()
    purge(region, account)


def create_space(region: str, domain_id: str, name: str, settings: dict | None, tags: list | None,
                 owner: str | None, sharing: dict | None, account: str | None = None) -> Space:
    get_domain(region, domain_id, account)
    purge(region, account)
    store = _store(region, account)
    if (domain_id, name) in store["spaces"]:
        raise ResourceInUseException(f"Resource Already Exists: Space with name {name} already exists. "
                                     "Choose a different name.")
    if owner:
        get_user_profile(region, domain_id, owner, account)
    space = Space(region, backends.sagemaker(region, account).account_id, domain_id, name, settings, tags,
                  owner=owner, sharing=sharing)
    store["spaces"][(domain_id, name)] = space
    return space


def get_space(region: str, domain_id: str, name: str, account: str | None = None) -> Space:
    purge(region, account)
    space = _store(region, account)["spaces"].get((domain_id, name))
    if space is None:
        arn = _arn("space", f"{domain_id}/{name}", backends.sagemaker(region, account).account_id, region)
        raise ResourceNotFound(f"Space {arn} does not exist.")
    return space


def delete_space(region: str, domain_id: str, name: str, account: str | None = None) -> None:
    space = get_space(region, domain_id, name, account)
    if _apps_in_use(_store(region, account), domain_id, space=name):
        raise ResourceInUseException(f"Space {space.arn} has apps that are not deleted; delete them first.")
    space.life.delete()
    purge(region, account)


# ---------------------------------------------------------------- apps


class App:
    def __init__(self, region: str, account: str, domain_id: str, profile: str | None, space: str | None,
                 app_type: str, name: str, resource_spec: dict | None, tags: list | None):
        self.region, self.account, self.domain_id = region, account, domain_id
        self.profile, self.space, self.app_type, self.name = profile, space, app_type, name
        self.resource_spec = resource_spec or {"SageMakerImageArn": "", "InstanceType": "system"}
        self.tags = tags or []
        self.life = Lifecycle()

    @property
    def arn(self) -> str:
        owner = self.profile or self.space
        return _arn("app", f"{self.domain_id}/{owner}/{self.app_type.lower()}/{self.name}", self.account,
                    self.region)

    def describe(self) -> dict:
        out = {"AppArn": self.arn, "AppType": self.app_type, "AppName": self.name, "DomainId": self.domain_id,
               "Status": self.life.status("Deleted"), "CreationTime": self.life.created,
               "ResourceSpec": self.resource_spec}
        if self.profile:
            out["UserProfileName"] = self.profile
        if self.space:
            out["SpaceName"] = self.space
        return out


def create_app(region: str, domain_id: str, profile: str | None, space: str | None, app_type: str, name: str,
               resource_spec: dict | None, tags: list | None, account: str | None = None) -> App:
    get_domain(region, domain_id, account)
    if app_type not in APP_TYPES:
        raise ValidationError(f"1 validation error detected: Value '{app_type}' at 'appType' failed to satisfy "
                              f"constraint: Member must satisfy enum value set: {sorted(APP_TYPES)}")
    if bool(profile) == bool(space):
        raise ValidationError("Exactly one of UserProfileName or SpaceName must be specified.")
    if profile:
        owner = get_user_profile(region, domain_id, profile, account)
    else:
        owner = get_space(region, domain_id, space, account)
    if owner.life.status() != "InService":
        raise ValidationError(f"{owner.arn} is not InService; wait for it before creating apps.")
    store = _store(region, account)
    key = (domain_id, profile or "", space or "", app_type, name)
    existing = store["apps"].get(key)
    if existing is not None and existing.life.status("Deleted") != "Deleted":
        raise ResourceInUseException(f"Resource Already Exists: App with name {name} already exists.")
    app = App(region, backends.sagemaker(region, account).account_id, domain_id, profile, space, app_type, name,
              resource_spec, tags)
    store["apps"][key] = app
    return app


def find_app(region: str, domain_id: str, profile: str | None, space: str | None, app_type: str, name: str,
             account: str | None = None) -> App:
    app = _store(region, account)["apps"].get((domain_id, profile or "", space or "", app_type, name))
    if app is None or app.life.status("Deleted") == "Deleted":
        owner = profile or space
        arn = _arn("app", f"{domain_id}/{owner}/{app_type.lower()}/{name}",
                   backends.sagemaker(region, account).account_id, region)
        raise ResourceNotFound(f"App {arn} does not exist.")
    return app


def list_apps(region: str, domain_id: str | None, profile: str | None, space: str | None,
              account: str | None = None) -> list[App]:
    apps = list(_store(region, account)["apps"].values())
    return [a for a in apps if (not domain_id or a.domain_id == domain_id) and (not profile or a.profile == profile)
            and (not space or a.space == space)]


# ---------------------------------------------------------------- Studio lifecycle configurations


class LifecycleConfig:
    def __init__(self, region: str, account: str, name: str, content: str, app_type: str, tags: list | None):
        self.region, self.account, self.name = region, account, name
        self.content, self.app_type, self.tags = content, app_type, tags or []
        self.life = Lifecycle()
        self.life.ready_at = self.life.created

    @property
    def arn(self) -> str:
        return _arn("studio-lifecycle-config", self.name, self.account, self.region)

    def describe(self) -> dict:
        return {"StudioLifecycleConfigArn": self.arn, "StudioLifecycleConfigName": self.name,
                "CreationTime": self.life.created, "LastModifiedTime": self.life.last_modified,
                "StudioLifecycleConfigContent": self.content, "StudioLifecycleConfigAppType": self.app_type}


def create_lifecycle_config(region: str, name: str, content: str, app_type: str, tags: list | None,
                            account: str | None = None) -> LifecycleConfig:
    purge(region, account)
    store = _store(region, account)
    if name in store["lifecycle_configs"]:
        raise ResourceInUseException(f"Resource Already Exists: StudioLifecycleConfig with name {name} already "
                                     "exists. Choose a different name.")
    try:
        base64.b64decode(content, validate=True)
    except (ValueError, TypeError):
        raise ValidationError("StudioLifecycleConfigContent must be base64-encoded.") from None
    config = LifecycleConfig(region, backends.sagemaker(region, account).account_id, name, content, app_type, tags)
    store["lifecycle_configs"][name] = config
    return config


def get_lifecycle_config(region: str, name: str, account: str | None = None) -> LifecycleConfig:
    purge(region, account)
    config = _store(region, account)["lifecycle_configs"].get(name)
    if config is None:
        arn = _arn("studio-lifecycle-config", name, backends.sagemaker(region, account).account_id, region)
        raise ResourceNotFound(f"Unable to describe Studio Lifecycle Config '{arn}' because it does not exist.")
    return config


def delete_lifecycle_config(region: str, name: str, account: str | None = None) -> None:
    get_lifecycle_config(region, name, account)
    del _store(region, account)["lifecycle_configs"][name]


# ---------------------------------------------------------------- presigned URL


def presigned_url(region: str, domain_id: str, profile: str, space: str | None, account: str | None = None) -> str:
    get_domain(region, domain_id, account)
    user = get_user_profile(region, domain_id, profile, account)
    if user.life.status() != "InService":
        raise ValidationError(f"User profile {user.arn} is not InService.")
    if space:
        get_space(region, domain_id, space, account)
    token = base64.urlsafe_b64encode(uuid.uuid4().bytes + uuid.uuid4().bytes).decode().rstrip("=")
    url = f"{domain_url(domain_id, region)}/auth?token={token}"
    return url + (f"&space={space}" if space else "")


# ---------------------------------------------------------------- CloudFormation


class _Attributes:
    """Fn::GetAtt from `attributes` (mixed into each CloudFormation model below)."""

    attributes: dict[str, str] = {}
    values: dict

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr in cls.attributes

    def get_cfn_attribute(self, attribute_name: str) -> Any:
        from moto.cloudformation.exceptions import UnformattedGetAttTemplateException

        if attribute_name not in self.attributes:
            raise UnformattedGetAttTemplateException()
        return self.values[self.attributes[attribute_name]]


class CfnDomain(_Attributes, CloudFormationModel):
    attributes = {"DomainArn": "DomainArn", "DomainId": "DomainId", "Url": "Url",
                  "HomeEfsFileSystemId": "HomeEfsFileSystemId",
                  "SecurityGroupIdForDomainBoundary": "SecurityGroupIdForDomainBoundary",
                  "SingleSignOnManagedApplicationInstanceId": "SingleSignOnManagedApplicationInstanceId",
                  "SingleSignOnApplicationArn": "SingleSignOnApplicationArn"}

    def __init__(self, region: str, account: str, values: dict):
        self.region, self.account, self.values = region, account, values

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::SageMaker::Domain"

    @staticmethod
    def cloudformation_name_type() -> str:
        return "DomainName"

    @property
    def physical_resource_id(self) -> str:
        return self.values["DomainId"]

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        props = dict(cloudformation_json.get("Properties") or {})
        props.setdefault("DomainName", resource_name)
        created = create_domain(region_name, props, account_id)
        values = describe_domain(region_name, created["DomainId"], account_id)
        return cls(region_name, account_id, values)

    def delete(self, account_id: str, region_name: str) -> None:
        delete_domain(region_name, self.values["DomainId"], account_id)


class CfnUserProfile(_Attributes, CloudFormationModel):
    attributes = {"UserProfileArn": "UserProfileArn"}

    def __init__(self, region: str, account: str, values: dict):
        self.region, self.account, self.values = region, account, values

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::SageMaker::UserProfile"

    @staticmethod
    def cloudformation_name_type() -> str:
        return "UserProfileName"

    @property
    def physical_resource_id(self) -> str:
        return self.values["UserProfileArn"]

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        props = cloudformation_json.get("Properties") or {}
        profile = create_user_profile(region_name, props["DomainId"], props.get("UserProfileName") or resource_name,
                                      props.get("UserSettings"), props.get("Tags"), account_id)
        return cls(region_name, account_id, {"UserProfileArn": profile.arn, "DomainId": profile.domain_id,
                                             "UserProfileName": profile.name})

    def delete(self, account_id: str, region_name: str) -> None:
        delete_user_profile(region_name, self.values["DomainId"], self.values["UserProfileName"], account_id)


class CfnSpace(_Attributes, CloudFormationModel):
    attributes = {"SpaceArn": "SpaceArn", "Url": "Url"}

    def __init__(self, region: str, account: str, values: dict):
        self.region, self.account, self.values = region, account, values

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::SageMaker::Space"

    @staticmethod
    def cloudformation_name_type() -> str:
        return "SpaceName"

    @property
    def physical_resource_id(self) -> str:
        return self.values["SpaceArn"]

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        props = cloudformation_json.get("Properties") or {}
        space = create_space(region_name, props["DomainId"], props.get("SpaceName") or resource_name,
                             props.get("SpaceSettings"), props.get("Tags"),
                             (props.get("OwnershipSettings") or {}).get("OwnerUserProfileName"),
                             props.get("SpaceSharingSettings"), account_id)
        return cls(region_name, account_id, {"SpaceArn": space.arn, "Url": space.describe()["Url"],
                                             "DomainId": space.domain_id, "SpaceName": space.name})

    def delete(self, account_id: str, region_name: str) -> None:
        delete_space(region_name, self.values["DomainId"], self.values["SpaceName"], account_id)


class CfnStudioLifecycleConfig(_Attributes, CloudFormationModel):
    attributes = {"StudioLifecycleConfigArn": "StudioLifecycleConfigArn"}

    def __init__(self, region: str, account: str, values: dict):
        self.region, self.account, self.values = region, account, values

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::SageMaker::StudioLifecycleConfig"

    @staticmethod
    def cloudformation_name_type() -> str:
        return "StudioLifecycleConfigName"

    @property
    def physical_resource_id(self) -> str:
        return self.values["StudioLifecycleConfigName"]

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        props = cloudformation_json.get("Properties") or {}
        config = create_lifecycle_config(region_name, props.get("StudioLifecycleConfigName") or resource_name,
                                         props["StudioLifecycleConfigContent"], props["StudioLifecycleConfigAppType"],
                                         props.get("Tags"), account_id)
        return cls(region_name, account_id, {"StudioLifecycleConfigArn": config.arn,
                                             "StudioLifecycleConfigName": config.name})

    def delete(self, account_id: str, region_name: str) -> None:
        delete_lifecycle_config(region_name, self.values["StudioLifecycleConfigName"], account_id)


CFN_MODELS = [CfnDomain, CfnUserProfile, CfnSpace, CfnStudioLifecycleConfig]

"""The SageMaker Studio API on moto's SageMaker responses (moto parses and serializes; models.py does the work)."""

from __future__ import annotations

import threading

from moto.core.responses import ActionResult, EmptyResult

from . import models

_applied = False
_lock = threading.Lock()


def create_domain(self):
    params = {k: self._get_param(k) for k in (
        "DomainName", "AuthMode", "DefaultUserSettings", "DomainSettings", "SubnetIds", "VpcId", "Tags",
        "AppNetworkAccessType", "HomeEfsFileSystemKmsKeyId", "KmsKeyId", "AppSecurityGroupManagement",
        "DefaultSpaceSettings")}
    result = models.create_domain(self.region, params)
    return ActionResult({"DomainArn": result["DomainArn"], "DomainId": result["DomainId"], "Url": result["Url"]})


def describe_domain(self):
    return ActionResult(models.describe_domain(self.region, self._get_param("DomainId")))


def list_domains(self):
    models.purge(self.region)
    domains = []
    for domain in self.sagemaker_backend.domains.values():
        domains.append({"DomainArn": domain.arn, "DomainId": domain.id, "DomainName": domain.domain_name,
                        "Status": models.domain_status(self.region, domain.id), "Url": domain.url,
                        "CreationTime": domain.creation_time, "LastModifiedTime": domain.last_modified_time})
    return ActionResult({"Domains": domains})


def delete_domain(self):
    models.delete_domain(self.region, self._get_param("DomainId"))
    return EmptyResult()


def create_user_profile(self):
    profile = models.create_user_profile(self.region, self._get_param("DomainId"), self._get_param("UserProfileName"),
                                         self._get_param("UserSettings"), self._get_param("Tags"))
    return ActionResult({"UserProfileArn": profile.arn})


def describe_user_profile(self):
    profile = models.get_user_profile(self.region, self._get_param("DomainId"), self._get_param("UserProfileName"))
    return ActionResult(profile.describe())


def delete_user_profile(self):
    models.delete_user_profile(self.region, self._get_param("DomainId"), self._get_param("UserProfileName"))
    return EmptyResult()


def list_user_profiles(self):
    models.purge(self.region)
    domain_id = self._get_param("DomainIdEquals")
    contains = self._get_param("UserProfileNameContains")
    items = [p.summary() for p in models._store(self.region)["profiles"].values()
             if (not domain_id or p.domain_id == domain_id) and (not contains or contains in p.name)]
    return ActionResult({"UserProfiles": items})


def create_space(self):
    space = models.create_space(self.region, self._get_param("DomainId"), self._get_param("SpaceName"),
                                self._get_param("SpaceSettings"), self._get_param("Tags"),
                                (self._get_param("OwnershipSettings") or {}).get("OwnerUserProfileName"),
                                self._get_param("SpaceSharingSettings"))
    return ActionResult({"SpaceArn": space.arn})


def describe_space(self):
    return ActionResult(models.get_space(self.region, self._get_param("DomainId"),
                                         self._get_param("SpaceName")).describe())


def delete_space(self):
    models.delete_space(self.region, self._get_param("DomainId"), self._get_param("SpaceName"))
    return EmptyResult()


def list_spaces(self):
    models.purge(self.region)
    domain_id = self._get_param("DomainIdEquals")
    items = [s.summary() for s in models._store(self.region)["spaces"].values()
             if not domain_id or s.domain_id == domain_id]
    return ActionResult({"Spaces": items})


def create_app(self):
    app = models.create_app(self.region, self._get_param("DomainId"), self._get_param("UserProfileName"),
                            self._get_param("SpaceName"), self._get_param("AppType"), self._get_param("AppName"),
                            self._get_param("ResourceSpec"), self._get_param("Tags"))
    return ActionResult({"AppArn": app.arn})


def describe_app(self):
    app = models.find_app(self.region, self._get_param("DomainId"), self._get_param("UserProfileName"),
                          self._get_param("SpaceName"), self._get_param("AppType"), self._get_param("AppName"))
    return ActionResult(app.describe())


def delete_app(self):
    app = models.find_app(self.region, self._get_param("DomainId"), self._get_param("UserProfileName"),
                          self._get_param("SpaceName"), self._get_param("AppType"), self._get_param("AppName"))
    app.life.delete()
    return EmptyResult()


def list_apps(self):
    apps = models.list_apps(self.region, self._get_param("DomainIdEquals"), self._get_param("UserProfileNameEquals"),
                            self._get_param("SpaceNameEquals"))
    items = []
    for app in apps:
        d = app.describe()
        items.append({k: d[k] for k in ("DomainId", "UserProfileName", "SpaceName", "AppType", "AppName", "Status",
                                        "CreationTime", "ResourceSpec") if k in d})
    return ActionResult({"Apps": items})


def create_studio_lifecycle_config(self):
    config = models.create_lifecycle_config(
        self.region, self._get_param("StudioLifecycleConfigName"), self._get_param("StudioLifecycleConfigContent"),
        self._get_param("StudioLifecycleConfigAppType"), self._get_param("Tags"))
    return ActionResult({"StudioLifecycleConfigArn": config.arn})


def describe_studio_lifecycle_config(self):
    return ActionResult(models.get_lifecycle_config(self.region,
                                                    self._get_param("StudioLifecycleConfigName")).describe())


def delete_studio_lifecycle_config(self):
    models.delete_lifecycle_config(self.region, self._get_param("StudioLifecycleConfigName"))
    return EmptyResult()


def list_studio_lifecycle_configs(self):
    models.purge(self.region)
    items = []
    for c in models._store(self.region)["lifecycle_configs"].values():
        d = c.describe()
        d.pop("StudioLifecycleConfigContent")
        items.append(d)
    return ActionResult({"StudioLifecycleConfigs": items})


def create_presigned_domain_url(self):
    url = models.presigned_url(self.region, self._get_param("DomainId"), self._get_param("UserProfileName"),
                               self._get_param("SpaceName"))
    return ActionResult({"AuthorizedUrl": url})


HANDLERS = [
    create_domain, describe_domain, list_domains, delete_domain, create_user_profile, describe_user_profile,
    delete_user_profile, list_user_profiles, create_space, describe_space, delete_space, list_spaces, create_app,
    describe_app, delete_app, list_apps, create_studio_lifecycle_config, describe_studio_lifecycle_config,
    delete_studio_lifecycle_config, list_studio_lifecycle_configs, create_presigned_domain_url,
]


def apply() -> None:
    global _applied
    with _lock:
        if _applied:
            return
        from moto.sagemaker.responses import SageMakerResponse

        for fn in HANDLERS:
            setattr(SageMakerResponse, fn.__name__, fn)
        _applied = True

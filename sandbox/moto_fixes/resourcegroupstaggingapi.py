"""Resource Groups Tagging API fixes (moto.resourcegroupstaggingapi).

Each replacement has the signature of the moto method it replaces, so that it could be proposed upstream.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from moto.resourcegroupstaggingapi.models import ResourceGroupsTaggingAPIBackend

from .registry import fix, original, replace


def _matches(tags: dict[str, str], tag_filters: list[dict[str, Any]] | None) -> bool:
    for f in tag_filters or []:
        values = f.get("Values") or []
        if f["Key"] not in tags or (values and tags[f["Key"]] not in values):
            return False
    return True


def _get_resources_generator(self: ResourceGroupsTaggingAPIBackend, tag_filters: list[dict[str, Any]] | None = None,
                             resource_type_filters: list[str] | None = None) -> Iterator[dict[str, Any]]:
    """GetResources lists tagged VPC endpoints, resource type `ec2:vpc-endpoint`, as
    arn:aws:ec2:<region>:<account>:vpc-endpoint/vpce-... (Service Authorization Reference, "Actions, resources,
    and condition keys for Amazon EC2": resource type vpc-endpoint).

    moto 5.2.1 never lists them, so a cleanup that finds its resources by tag misses the endpoint."""
    yield from original(ResourceGroupsTaggingAPIBackend, "_get_resources_generator")(
        self, tag_filters=tag_filters, resource_type_filters=resource_type_filters)
    if resource_type_filters and not {"ec2", "ec2:vpc-endpoint"} & set(resource_type_filters):
        return
    backend = self.ec2_backend
    for endpoint in list(backend.vpc_end_points.values()):
        tags = backend.tags.get(endpoint.id, {})
        if tags and endpoint.state != "deleted" and _matches(tags, tag_filters):
            yield {"ResourceARN": f"arn:{self.partition}:ec2:{self.region_name}:{self.account_id}:vpc-endpoint/"
                                  f"{endpoint.id}",
                   "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}


@fix
def fix_tagging_api_vpc_endpoints() -> None:
    replace(ResourceGroupsTaggingAPIBackend, "_get_resources_generator", _get_resources_generator)

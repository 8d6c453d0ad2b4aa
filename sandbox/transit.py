"""AWS Transit Gateway as the network model needs it (issue 17, notebook 06): life cycle and routing.

moto 5.2.1 keeps transit gateways, VPC attachments and transit gateway route tables, but everything is available at
once, an attachment has no network interfaces, deleting one is instant, a transit gateway with attachments can be
deleted, and nothing routes. This module patches moto's EC2 backend in-process so that, through the ordinary EC2 API:

- A transit gateway is `pending` for SETTINGS.delay("transit_gateway_pending"), then `available`. Creating a VPC
  attachment on a gateway that is not available, or deleting a gateway that still has attachments, fails with
  `IncorrectState` (EC2 API Reference, CreateTransitGatewayVpcAttachment / DeleteTransitGateway).
- A VPC attachment is `pending` for SETTINGS.delay("tgw_attachment_pending"), then `available`; it places one
  requester-managed network interface in each of its subnets ("Transit Gateway attachments to a VPC": "When you
  attach a VPC to a transit gateway, ... the transit gateway places a network interface in each subnet"), so the
  subnets cannot be deleted while it exists. DeleteTransitGatewayVpcAttachment makes it `deleting` for
  SETTINGS.delay("tgw_attachment_deleting"); then it and its interfaces are gone (computed when read, no threads).
- A static transit gateway route to an attachment needs the attachment `available` (IncorrectState otherwise).
- With the gateway's DefaultRouteTablePropagation on, a new attachment propagates its VPC's CIDR to the default
  route table (moto only associates it).

`path(region, subnet, source_ip, destination_ip)` answers whether a packet from an address in a subnet reaches an
address in another VPC, and back: the source subnet's route table needs a route (longest prefix match) to the
transit gateway; the source VPC's attachment must be available and have a subnet in the source's Availability Zone
("resources in Availability Zones where there is no transit gateway attachment cannot reach the transit gateway",
Transit Gateway Guide, VPC attachments); the route table the attachment is associated with needs a route (static or
propagated, not blackhole) to an available attachment of the destination VPC; and the reply needs the same on the
way back. Security groups are checked by the caller. Security-group referencing across a transit gateway is not
modelled: a rule must name the other VPC's CIDR.
"""

from __future__ import annotations

import ipaddress
from datetime import timedelta
from typing import Any

from . import backends
from .moto_fixes.ec2 import RELEASE_HOOKS
from .settings import SETTINGS

ENI_DESCRIPTION = "Network Interface for Transit Gateway Attachment {id}"


def _now():
    from moto.core.utils import utcnow

    return utcnow()


def _err(code: str, message: str):
    from moto.ec2.exceptions import EC2ClientError

    return EC2ClientError(code, message)


# ------------------------------------------------------------------------------------------ life cycle


def _attachment_state(self) -> str:
    raw = self.__dict__.get("_raw_state", "available")
    if raw in ("deleted", "rejected", "failed"):
        return raw
    gone_at = self.__dict__.get("_gone_at")
    if gone_at is not None:
        return "deleted" if _now() >= gone_at else "deleting"
    available_at = self.__dict__.get("_available_at")
    if available_at is not None and _now() < available_at:
        return "pending"
    return raw


def _set_raw_state(self, value) -> None:
    self.__dict__["_raw_state"] = value


def _gateway_state(self) -> str:
    raw = self.__dict__.get("_raw_state", "available")
    available_at = self.__dict__.get("_available_at")
    if raw == "available" and available_at is not None and _now() < available_at:
        return "pending"
    return raw


def purge(backend) -> None:
    """Forget attachments whose deletion delay has passed, releasing their network interfaces."""
    attachments = getattr(backend, "transit_gateway_attachments", {})
    for attachment_id, attachment in list(attachments.items()):
        gone_at = attachment.__dict__.get("_gone_at")
        if gone_at is not None and _now() >= gone_at:
            for eni_id in attachment.__dict__.get("_eni_ids", []):
                eni = backend.enis.pop(eni_id, None)
                if eni is not None and eni.subnet is not None:
                    eni.subnet._subnet_ips.pop(eni.private_ip_address, None)
            attachments.pop(attachment_id, None)
            for table in getattr(backend, "transit_gateways_route_tables", {}).values():
                table.route_table_associations.pop(attachment_id, None)
                table.route_table_propagation = [p for p in table.route_table_propagation
                                                 if p.transitGatewayAttachmentId != attachment_id]


def free_ip(subnet, also_taken: set | None = None, random_tries: int = 0) -> str:
    """A free address of the subnet (backends.free_ip), or EC2's InsufficientFreeAddressesInSubnet."""
    ip = backends.free_ip(subnet, also_taken or (), random_tries)
    if ip is None:
        raise _err("InsufficientFreeAddressesInSubnet",
                   f"There are not enough free addresses in subnet '{subnet.id}' to satisfy the requested number of "
                   "instances.")
    return ip


def _create_enis(backend, attachment) -> None:
    ids = []
    for subnet_id in attachment.subnet_ids or []:
        subnet = backend.get_subnet(subnet_id)
        ip = free_ip(subnet)
        eni = backend.create_network_interface(subnet, ip, description=ENI_DESCRIPTION.format(id=attachment.id))
        subnet.request_ip(ip, eni)
        eni.interface_type = "transit_gateway"
        eni.requester_managed = True
        eni.status = "in-use"
        eni.__dict__["_transit_gateway_attachment"] = attachment.id
        ids.append(eni.id)
    attachment.__dict__["_eni_ids"] = ids


def _patch() -> None:
    from moto.ec2.models.transit_gateway import TransitGateway, TransitGatewayBackend
    from moto.ec2.models.transit_gateway_attachments import TransitGatewayAttachment, TransitGatewayAttachmentBackend
    from moto.ec2.models.transit_gateway_route_tables import TransitGatewayRouteTableBackend

    if getattr(TransitGatewayAttachment, "_sandbox_patched", False):
        return
    TransitGatewayAttachment.state = property(_attachment_state, _set_raw_state)
    TransitGatewayAttachment._sandbox_patched = True
    TransitGateway.state = property(_gateway_state, _set_raw_state)

    create_gateway = TransitGatewayBackend.create_transit_gateway

    def create_transit_gateway(self, description, options=None, tags=None):
        gateway = create_gateway(self, description, options, tags)
        gateway.__dict__["_available_at"] = _now() + timedelta(seconds=SETTINGS.delay("transit_gateway_pending"))
        return gateway

    delete_gateway = TransitGatewayBackend.delete_transit_gateway

    def delete_transit_gateway(self, transit_gateway_id):
        purge(self)
        if transit_gateway_id not in self.transit_gateways:
            raise _err("InvalidTransitGatewayID.NotFound",
                       f"Transit Gateway {transit_gateway_id} was deleted or does not exist.")
        left = sorted(a.id for a in self.transit_gateway_attachments.values()
                      if a.transit_gateway_id == transit_gateway_id and a.state not in ("deleted",))
        if left:
            raise _err("IncorrectState",
                       f"{transit_gateway_id} has non-deleted Transit Gateway Attachments: {', '.join(left)}.")
        gateway = delete_gateway(self, transit_gateway_id)
        gateway.state = "deleted"
        return gateway

    TransitGatewayBackend.create_transit_gateway = create_transit_gateway
    TransitGatewayBackend.delete_transit_gateway = delete_transit_gateway

    create_attachment = TransitGatewayAttachmentBackend.create_transit_gateway_vpc_attachment

    def create_transit_gateway_vpc_attachment(self, transit_gateway_id, vpc_id, subnet_ids, tags=None, options=None):
        purge(self)
        gateway = self.transit_gateways.get(transit_gateway_id)
        if gateway is not None and gateway.state != "available":
            raise _err("IncorrectState", f"{transit_gateway_id} is in invalid state")
        for subnet_id in subnet_ids or []:
            subnet = self.get_subnet(subnet_id)
            if subnet.vpc_id != vpc_id:
                raise _err("InvalidParameterValue", f"Subnet {subnet_id} does not belong to {vpc_id}")
        zones = [self.get_subnet(s).availability_zone for s in subnet_ids or []]
        if len(zones) != len(set(zones)):
            raise _err("DuplicateSubnetsInSameZone",
                       "Duplicate Subnets for same AZ: only one subnet per Availability Zone is allowed.")
        attachment = create_attachment(self, transit_gateway_id, vpc_id, subnet_ids, tags, options)
        attachment.__dict__["_available_at"] = _now() + timedelta(seconds=SETTINGS.delay("tgw_attachment_pending"))
        _create_enis(self, attachment)
        if gateway is not None and gateway.options.get("DefaultRouteTablePropagation") == "enable":
            self.set_route_table_propagation(attachment.id, gateway.options["PropagationDefaultRouteTableId"])
        return attachment

    def delete_transit_gateway_vpc_attachment(self, transit_gateway_attachment_id):
        purge(self)
        attachment = self.transit_gateway_attachments.get(transit_gateway_attachment_id)
        if attachment is None:
            raise _err("InvalidTransitGatewayAttachmentID.NotFound",
                       f"Transit Gateway Attachment {transit_gateway_attachment_id} was deleted or does not exist.")
        if attachment.__dict__.get("_gone_at") is None:
            attachment.__dict__["_gone_at"] = _now() + timedelta(seconds=SETTINGS.delay("tgw_attachment_deleting"))
        return attachment

    TransitGatewayAttachmentBackend.create_transit_gateway_vpc_attachment = create_transit_gateway_vpc_attachment
    TransitGatewayAttachmentBackend.delete_transit_gateway_vpc_attachment = delete_transit_gateway_vpc_attachment

    describe = TransitGatewayAttachmentBackend.describe_transit_gateway_attachments
    describe_vpc = TransitGatewayAttachmentBackend.describe_transit_gateway_vpc_attachments

    def describe_transit_gateway_attachments(self, *args, **kwargs):
        purge(self)
        return describe(self, *args, **kwargs)

    def describe_transit_gateway_vpc_attachments(self, *args, **kwargs):
        purge(self)
        return describe_vpc(self, *args, **kwargs)

    TransitGatewayAttachmentBackend.describe_transit_gateway_attachments = describe_transit_gateway_attachments
    TransitGatewayAttachmentBackend.describe_transit_gateway_vpc_attachments = describe_transit_gateway_vpc_attachments

    create_route = TransitGatewayRouteTableBackend.create_transit_gateway_route

    def create_transit_gateway_route(self, transit_gateway_route_table_id, destination_cidr_block,
                                     transit_gateway_attachment_id=None, blackhole=False):
        purge(self)
        if transit_gateway_route_table_id not in self.transit_gateways_route_tables:
            raise _err("InvalidRouteTableID.NotFound",
                       f"Transit Gateway Route Table {transit_gateway_route_table_id} was deleted or does not exist.")
        if transit_gateway_attachment_id and not blackhole:
            attachment = self.transit_gateway_attachments.get(transit_gateway_attachment_id)
            if attachment is None:
                raise _err("InvalidTransitGatewayAttachmentID.NotFound",
                           f"Transit Gateway Attachment {transit_gateway_attachment_id} was deleted or does not exist.")
            if attachment.state != "available":
                raise _err("IncorrectState", f"{transit_gateway_attachment_id} is in invalid state")
        return create_route(self, transit_gateway_route_table_id, destination_cidr_block,
                            transit_gateway_attachment_id, blackhole)

    delete_route = TransitGatewayRouteTableBackend.delete_transit_gateway_route

    def delete_transit_gateway_route(self, transit_gateway_route_table_id, destination_cidr_block):
        table = self.transit_gateways_route_tables.get(transit_gateway_route_table_id)
        if table is None or destination_cidr_block not in table.routes:
            raise _err("InvalidRoute.NotFound",
                       f"No route with destination-cidr-block {destination_cidr_block} in Transit Gateway Route "
                       f"Table {transit_gateway_route_table_id}")
        return delete_route(self, transit_gateway_route_table_id, destination_cidr_block)

    TransitGatewayRouteTableBackend.create_transit_gateway_route = create_transit_gateway_route

    search = TransitGatewayRouteTableBackend.search_transit_gateway_routes

    def search_transit_gateway_routes(self, transit_gateway_route_table_id, filters, max_results=None):
        """SearchTransitGatewayRoutes with each route's attachments as the list AWS returns (moto keeps one dict,
        which its serializer drops), and the propagated routes too (type "propagated")."""
        purge(self)
        table = self.transit_gateways_route_tables.get(transit_gateway_route_table_id)
        found = []
        for route in search(self, transit_gateway_route_table_id, filters, None):
            copy = dict(route)
            attachment = copy.pop("transitGatewayAttachments", None)
            if attachment:  # a route with no attachment (a blackhole, or none named) lists none
                copy["transitGatewayAttachments"] = [attachment] if isinstance(attachment, dict) else attachment
            found.append(copy)
        static = {r.get("destinationCidrBlock") for r in found}
        wanted_types = (filters or {}).get("type") or ["static", "propagated"]
        wanted_states = (filters or {}).get("state") or ["active"]
        exact = (filters or {}).get("route-search.exact-match")
        if table is not None and "propagated" in wanted_types and "active" in wanted_states:
            for cidr, att_id, _state in _tgw_routes(self, table):
                if cidr in static or (table.routes.get(cidr)) or (exact and cidr not in exact):
                    continue
                attachment = self.transit_gateway_attachments.get(att_id)
                found.append({"destinationCidrBlock": cidr, "type": "propagated", "state": "active",
                              "transitGatewayAttachments": [{
                                  "resourceId": attachment.resource_id, "resourceType": attachment.resource_type,
                                  "transitGatewayAttachmentId": att_id}]})
        return found[: int(max_results)] if max_results else found

    TransitGatewayRouteTableBackend.search_transit_gateway_routes = search_transit_gateway_routes
    TransitGatewayRouteTableBackend.delete_transit_gateway_route = delete_transit_gateway_route


_patch()
RELEASE_HOOKS.append(purge)


# ------------------------------------------------------------------------------------------ routing


def _vpc_cidrs(vpc) -> list:
    cidrs = [vpc.cidr_block]
    for assoc in vpc.cidr_block_association_set or []:
        state = assoc.get("cidr_block_state", {}).get("state", "associated")
        block = assoc.get("cidr_block") if state == "associated" else None
        if block and block not in cidrs:
            cidrs.append(block)
    return [ipaddress.ip_network(c, strict=False) for c in cidrs if c]


def _best_vpc_route(rt, ip: str):
    address = ipaddress.ip_address(ip)
    best, best_len = None, -1
    for route in rt.routes.values() if isinstance(rt.routes, dict) else rt.routes:
        cidr = route.destination_cidr_block
        if not cidr:
            continue
        net = ipaddress.ip_network(cidr, strict=False)
        if address in net and net.prefixlen > best_len:
            best, best_len = route, net.prefixlen
    return best


def _tgw_routes(ec2, table) -> list[tuple[str, str | None, str]]:
    """(cidr, attachment id or None, state) for the static and propagated routes of a TGW route table."""
    routes = []
    for cidr, route in table.routes.items():
        att = (route.get("transitGatewayAttachments") or {}).get("transitGatewayAttachmentId")
        routes.append((cidr, att, route.get("state") or "active"))
    static = {r[0] for r in routes}
    for propagation in table.route_table_propagation:
        attachment = ec2.transit_gateway_attachments.get(propagation.transitGatewayAttachmentId)
        if attachment is None or getattr(attachment, "resource_type", "") != "vpc":
            continue
        vpc = ec2.vpcs.get(attachment.vpc_id)
        for net in _vpc_cidrs(vpc) if vpc is not None else []:
            if str(net) not in static:  # a static route wins over a propagated one for the same CIDR
                routes.append((str(net), attachment.id, "active"))
    return routes


def _attachment_of(ec2, gateway_id: str, vpc_id: str):
    for attachment in ec2.transit_gateway_attachments.values():
        if attachment.transit_gateway_id == gateway_id and getattr(attachment, "vpc_id", None) == vpc_id:
            return attachment
    return None


def _associated_table(ec2, attachment):
    for table in ec2.transit_gateways_route_tables.values():
        if attachment.id in table.route_table_associations:
            return table
    return None


def _one_way(ec2, src_subnet, dst_ip: str) -> tuple[bool, str, dict]:
    """Whether a packet from `src_subnet` reaches `dst_ip` in another VPC; (ok, reason, facts)."""
    src_vpc_id = src_subnet.vpc_id
    rt = backends.route_table_for(ec2, src_subnet)
    route = _best_vpc_route(rt, dst_ip) if rt is not None else None
    if route is None:
        return False, (f"the route table {getattr(rt, 'id', '-')} of {src_subnet.id} ({src_vpc_id}) has no route "
                       f"to {dst_ip}"), {"missing": "vpc-route", "route_table": getattr(rt, "id", None),
                                         "vpc": src_vpc_id}
    gateway = route.transit_gateway
    if gateway is None:
        target = ("the VPC itself (local)" if route.local else route.gateway.id if route.gateway is not None
                  else route.nat_gateway.id if route.nat_gateway is not None else "another target")
        return False, (f"{rt.id} sends {dst_ip} ({route.destination_cidr_block}) to {target}, not to a transit "
                       "gateway"), {"missing": "vpc-route", "route_table": rt.id, "vpc": src_vpc_id}
    gateway_id = gateway.id
    attachment = _attachment_of(ec2, gateway_id, src_vpc_id)
    if attachment is None or attachment.state != "available":
        state = attachment.state if attachment is not None else "missing"
        return False, (f"{src_vpc_id}'s attachment to {gateway_id} is {state}"), {
            "missing": "attachment", "vpc": src_vpc_id, "transit_gateway": gateway_id}
    zones = {ec2.get_subnet(s).availability_zone for s in attachment.subnet_ids or []}
    if src_subnet.availability_zone not in zones:
        return False, (f"{attachment.id} has no subnet in {src_subnet.availability_zone}, so {src_subnet.id} cannot "
                       f"reach {gateway_id}"), {"missing": "attachment-zone", "vpc": src_vpc_id}
    table = _associated_table(ec2, attachment)
    if table is None:
        return False, f"{attachment.id} is associated with no transit gateway route table", {
            "missing": "tgw-association", "attachment": attachment.id}
    address = ipaddress.ip_address(dst_ip)
    best, best_len = None, -1
    for cidr, att_id, state in _tgw_routes(ec2, table):
        net = ipaddress.ip_network(cidr, strict=False)
        if address in net and net.prefixlen > best_len:
            best, best_len = (cidr, att_id, state), net.prefixlen
    if best is None or best[2] != "active" or not best[1]:
        why = "has no route" if best is None else f"has a {best[2]} route ({best[0]})"
        return False, f"the transit gateway route table {table.id} {why} to {dst_ip}", {
            "missing": "tgw-route", "tgw_route_table": table.id, "destination": dst_ip}
    # The destination VPC is the one the route leads to (the target attachment's), not any VPC whose range holds the
    # address: VPCs behind different transit gateways may use the same range (in a shared account every
    # participant's workshop VPC is 10.0.0.0/16), and each gateway routes to its own attachments.
    target = ec2.transit_gateway_attachments.get(best[1])
    dst_vpc = ec2.vpcs.get(getattr(target, "vpc_id", None) or "")
    wrong = dst_vpc is None or not _holds(dst_vpc, dst_ip)
    if target is None or target.state != "available" or wrong:
        return False, (f"{table.id} sends {dst_ip} to {best[1]}, which is not an available attachment of the VPC "
                       f"holding {dst_ip}"), {"missing": "tgw-route", "tgw_route_table": table.id,
                                             "destination": dst_ip}
    return True, f"{src_subnet.id} -> {rt.id} -> {gateway_id} ({table.id}) -> {target.id} -> {dst_vpc.id}", {
        "transit_gateway": gateway_id, "tgw_route_table": table.id, "vpc_id": dst_vpc.id}


def _holds(vpc, ip: str) -> bool:
    address = ipaddress.ip_address(ip)
    return any(address in net for net in _vpc_cidrs(vpc))


def path(region: str, src_subnet, src_ip: str, dst_ip: str) -> dict:
    """Whether `src_ip` in `src_subnet` and `dst_ip` reach each other (both ways), with the reason.

    {"ok", "reason", "same_vpc", "transit_gateway", "dst_vpc_id", "missing": None | {...}}: the destination VPC is
    the one the routes lead to (the source's own when its range holds the address: the local route)."""
    ec2 = backends.ec2(region)
    purge(ec2)
    src_vpc = ec2.vpcs.get(src_subnet.vpc_id)
    if src_vpc is not None and _holds(src_vpc, dst_ip):
        return {"ok": True, "reason": f"{dst_ip} is in {src_vpc.id} (local route)", "same_vpc": True,
                "transit_gateway": None, "dst_vpc_id": src_vpc.id, "missing": None}
    ok, reason, facts = _one_way(ec2, src_subnet, dst_ip)
    if not ok:
        return {"ok": False, "reason": reason, "same_vpc": False, "transit_gateway": None, "dst_vpc_id": None,
                "missing": facts}
    dst_subnet = next((sn for sn in ec2.describe_subnets(filters={"vpc-id": [facts["vpc_id"]]})
                       if ipaddress.ip_address(dst_ip) in ipaddress.ip_network(sn.cidr_block, strict=False)), None)
    if dst_subnet is None:
        return {"ok": False, "reason": f"no subnet of {facts['vpc_id']} holds {dst_ip}", "same_vpc": False,
                "transit_gateway": None, "dst_vpc_id": facts["vpc_id"], "missing": {"missing": "subnet"}}
    back_ok, back_reason, back_facts = _one_way(ec2, dst_subnet, src_ip)
    if back_ok and back_facts.get("vpc_id") != src_subnet.vpc_id:
        back_ok, back_reason = False, (f"the reply to {src_ip} is routed to {back_facts.get('vpc_id')}, not to "
                                       f"{src_subnet.vpc_id}")
        back_facts = {"missing": "tgw-route", "destination": src_ip}
    if not back_ok:
        return {"ok": False, "reason": f"the reply cannot return: {back_reason}", "same_vpc": False,
                "transit_gateway": facts.get("transit_gateway"), "dst_vpc_id": facts["vpc_id"], "missing": back_facts}
    return {"ok": True, "reason": reason, "same_vpc": False, "transit_gateway": facts.get("transit_gateway"),
            "dst_vpc_id": facts["vpc_id"], "missing": None}


def describe(region: str, account: str | None = None) -> dict[str, Any]:
    """Counts for diagnostics: gateways and attachments by state."""
    ec2 = backends.ec2(region, account)
    purge(ec2)
    return {"transit_gateways": {g.id: g.state for g in ec2.transit_gateways.values()},
            "attachments": {a.id: a.state for a in ec2.transit_gateway_attachments.values()}}

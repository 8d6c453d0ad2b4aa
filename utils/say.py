"""The workshop's own sentences in the notebooks' cells, in the learner's language.

A cell keeps the AWS call and the check it teaches (`say.require(not public, "default_route", ...)`); the sentence
that tells the learner what happened or what to do lives here, behind `_()`, so that a Japanese run says it in
Japanese (locales/ja/LC_MESSAGES/utils.po). AWS's answers and IDs are printed by the cells as they are.
"""

from __future__ import annotations

from typing import Any

from .lang import N_, _

MESSAGES: dict[str, str] = {
    "target_switch": N_(
        "To switch, set TARGET above (or WORKSHOP_TARGET), restart the kernel and run this notebook again."),
    "studio_role_needs": N_("This role needs the permissions listed under Prerequisites above."),
    "not_studio": N_("Not in SageMaker Studio. The notebooks call AWS as {arn} (found via {source})."),
    "prerequisites_met": N_("All prerequisites are met."),
    "stack_keeps_zones": N_("The stack {stack} exists ({status}); it keeps its zones {az1} and {az2}."),
    "too_few_zones": N_(
        "{service} is offered in fewer than two usable zones here: choose another region in notebook 00."),
    "stack_adopted": N_(
        "Adopted {stack}: your instructor deployed it for you with a stack set (room {room}), so this notebook "
        "creates no stack of its own. It is tagged workshop={workshop}, participant={participant}, and has the "
        "template's outputs."),
    "stack_recreate": N_("{stack} is {status}: deleting it before creating it again."),
    "stack_creating": N_("Creating {stack}; its events follow as they arrive:"),
    "stack_exists": N_("{stack} already exists: {status}"),
    "stack_failed": N_(
        "The stack ended as {status}: read the FAILED events above. Run notebook 07 to clean up, then this "
        "notebook again."),
    "stack_failed_adopted": N_(
        "The stack ended as {status}: read the FAILED events above. It is your instructor's stack: ask them "
        "(python -m utils instructor status shows it)."),
    "code_current": N_("The function already runs this code."),
    "vpc_dns_off": N_("{attribute} is off in {vpc}: private DNS for the endpoint needs it on."),
    "default_route": N_("{table} has a default route {routes}: the subnets would not be private."),
    "runtime_old": N_("runtime {runtime} is older than python3.12"),
    "function_in_vpc_already": N_(
        "The function is already in the VPC (notebook 03 attaches it): continue with notebook 02."),
    "stack_as_expected": N_("The stack is as expected."),
    "analyzer_stop": N_(
        "IAM Access Analyzer reports an error or a security warning: fix the policy before applying it."),
    "policy_replaced": N_("Its policy differed; it is now the Allow policy above."),
    "private_dns_off": N_("Private DNS is off: the SDK's default hostname would not resolve to the endpoint."),
    "endpoint_subnets": N_("The endpoint is in {found}, not in {wanted}."),
    "not_allow_policy": N_("The endpoint's policy is not the Allow policy."),
    "no_control_endpoint": N_(
        "No control-plane endpoint (CREATE_CONTROL_PLANE_ENDPOINT is off): ListFoundationModels from the VPC "
        "would time out, which this workshop's function never calls."),
    "analyzer_stop_named": N_("IAM Access Analyzer reports an error or a security warning in {name}: fix it first."),
    "negative_skipped": N_(
        "{function} is already in the VPC (this notebook ran before): the negative control needs it outside. "
        "Run notebook 07 and start again from 01 to see it."),
    "negative_succeeded": N_("The call succeeded outside the VPC: the aws:sourceVpce condition is not applied."),
    "already_attached": N_("{function} is already attached to {subnets}."),
    "no_function_enis": N_("Lambda created no network interface for {function} in {vpc}."),
    "not_resolved": N_("The function could not resolve {host}: {error}"),
    "outside_cidr": N_("addresses outside the VPC CIDR"),
    "stayed_inside": N_("The hostname resolved to the endpoint's network interfaces: the call stayed inside the VPC."),
    "cloudtrail_later": N_(
        "Not in CloudTrail yet ({seconds} s after the call; CloudTrail usually needs about 5 "
        "minutes).\nNotebook 05 shows it as it arrives, and notebook 07 collects it before it deletes the "
        "endpoint."),
    "cloudtrail_confirms": N_("CloudTrail confirms: the call came through {endpoint}."),
    "path_green": N_("Path view: function -> endpoint -> Amazon Bedrock, every hop green."),
    "deny_not_in_effect": N_("The Deny did not take effect within {seconds} s; last reply: {reply}"),
    "deny_then_allow": N_("Deny blocked the call; Allow restored it."),
    "cloudtrail_arrived": N_("CloudTrail: {arrived} of {total} events arrived through {endpoint}."),
    "corporate_stack_failed": N_(
        "The corporate stack ended as {status}: read the FAILED events above, run notebook 07 to clean up, "
        "then this notebook again."),
    "beyond_policies_in_place": N_("Endpoint policy of {endpoint} and {role}'s policy are in place."),
    "corporate_client_failed": N_("The corporate client failed: {error}"),
    "rule_again": N_("The forwarding rule is associated again."),
    "links_repaired": N_("Both links repaired: the corporate client gets replies again."),
    "zone_emptied": N_("Emptied the private hosted zone {zone} of an earlier run (Step 6 writes its record again)."),
    "cloudtrail_look_later": N_(
        "Not in CloudTrail yet (CloudTrail usually needs about 5 minutes): look later in the console, "
        "CloudTrail > Event history, event name Converse."),
    "client_left_vpc": N_("{function} left the corporate VPC; Lambda now releases its network interfaces."),
    "beyond_not_run": N_("Notebook 06 did not run (or its network is gone already)."),
    "function_left_vpc": N_(
        "{function} left the VPC; Lambda now releases its network interfaces (Step 3 waits for them)."),
    "function_not_in_vpc": N_("{function} is not in a VPC."),
    "no_endpoint": N_("No endpoint to delete."),
    "enis_wait": N_(
        "Waiting for Lambda to delete {count} network interface(s) of {function}: on AWS typically about 20 "
        "minutes after the function left the VPC, sometimes 40 (bound {minutes} minutes).\nYou may leave now "
        "and come back: run this notebook again later, or check with `python -m utils inventory`."),
    "no_role": N_("No stack outputs, so no role to clean."),
    "delete_failed": N_("The stack is {status}: read the DELETE_FAILED events above and run this notebook again."),
    "no_stack": N_("No stack to delete."),
    "resources_remain": N_(
        "{count} resource(s) remain: {remaining}. Run this notebook again; if they stay, delete them in the "
        "console (the table names them)."),
    "nothing_remains": N_(
        "Nothing of the workshop remains. The configuration file stays, so the workshop can start again at 01."),
    "wait_created": N_("{name} to be created"),
    "wait_settle": N_("{name} to settle"),
    "wait_deleted": N_("{name} to be deleted"),
    "wait_failed_deleted": N_("the failed stack to be deleted"),
    "wait_vpc_config": N_("Lambda to accept the VPC configuration"),
    "wait_trail_event": N_("the Converse event through {endpoint} in CloudTrail"),
    "wait_corporate_event": N_("the corporate client's Converse event in CloudTrail"),
    "wait_available": N_("{name} to be available"),
    "wait_operational": N_("{name} to be operational"),
    "wait_resolvers_deleted": N_("the Resolver endpoints to be deleted"),
    "wait_attachments_deleted": N_("the Transit Gateway attachments to be deleted"),
    "wait_rule_removed": N_("the forwarding rule's associations to be removed"),
    "wait_reply": N_("a reply from the model through the endpoint"),
    "wait_deny": N_("the Deny policy to take effect"),
    "wait_allow_again": N_("the Allow policy to take effect again"),
    "ask_specific_name": N_("a reply through the endpoint-specific name"),
    "ask_forwarded": N_("a reply through the default hostname, forwarded to the workshop VPC"),
    "ask_no_rule": N_("the call without the forwarding rule"),
    "ask_phz": N_("a reply through the private hosted zone"),
    "ask_no_sg_rule": N_("the call without the security-group rule"),
    "ask_no_route": N_("the call without the route back"),
    "ask_repaired": N_("a reply again, every link repaired"),
    "target_sandbox": N_("local stand-in for AWS on this machine: offline, free, seconds per step"),
    "target_aws": N_("your AWS account: real PrivateLink and Amazon Bedrock, real (small) charges"),
    "private_dns_enabled": N_("Private DNS enabled: {enabled}"),
    "per_hour": N_("Per hour while it exists: {usd}"),
    "function_runs_in": N_("{function} runs in {vpc}; Lambda's network interfaces:"),
    "resolved_to": N_("{host} resolved, inside the function, to:"),
    "corporate_client": N_("{function}: the workshop's code, in {vpc} (subnets {subnets}), with no "
              "interface endpoint in its VPC."),
    "inbound_answers": N_("Inbound endpoint {endpoint} answers at {addresses} in {vpc}"),
    "zone_deleted": N_("Deleted the private hosted zone {zone} ({id})."),
    "trail_event": N_("CloudTrail: the {kind} event came through {endpoint}."),
    "trail_event_error": N_("CloudTrail: the {kind} event came through {endpoint} with errorCode {code}."),
    "attachment_deleting": N_("Deleting {attachment} ({vpc})."),
    "rule_deleted": N_("Deleted Resolver rule {rule}."),
    "resolver_deleting": N_("Deleting Resolver endpoint {endpoint} ({direction})."),
    "policy_deleted": N_("Deleted {policy} from {role}."),
    "route_deleted": N_("Deleted the route {cidr} -> {tgw} from {table}."),
    "ingress_revoked": N_("Revoked 443 from {cidr} in {group}."),
    "account_mismatch": N_("The saved account {saved} is not the account of your credentials ({actual}): "
              "fix ACCOUNT_ID or switch credentials, then run this notebook again."),
    "model_not_active": N_("{model} is {lifecycle}: choose a current model in the form (the default is a "
              "safe choice) and save."),
    "zones_needed": N_("{service} is offered in {count} Availability Zone(s) here; the workshop needs "
              "two. Choose another region."),
    "endpoint_sg_sources": N_("The endpoint's security group should allow 443 from the function's group only; "
              "it has {permissions}"),
    "not_endpoint_ips": N_("{addresses} are not the endpoint's IPs {ips}: is private DNS on (notebook 02)?"),
    "models_summary": N_("{region}: {models} models ({text} with text output), {profiles} system-defined "
              "inference profiles"),
    "service_offered_in": N_("{service} is offered in {offered}; usable here: {usable}"),
    "inline_policies": N_("Inline policies of {role}: {names}"),
    "tgw_route": N_("Transit Gateway route table {table}: {cidr} -> {attachment}"),
    "vpc_route": N_("VPC route table {table}: {cidr} -> {tgw}"),
    "sg_admits": N_("{group} now admits 443 from {cidr} (and still from {source})."),
    "resolver_rule": N_("Rule {rule}: {host} -> {addresses} through {outbound}, used by {vpcs}"),
    "stack_deleted": N_("{stack} is deleted."),
    "aws_error": N_("Error {code} from AWS, message: {message}"),
    "setup": N_("Region {region}, model {model}, stack {stack}, participant {participant}"),
    "model_lifecycle": N_("{provider} {model} ({base}): lifecycle {lifecycle}"),
    "profile_routes": N_("Profile {profile} routes to: {regions}"),
    "service_zones": N_("{service}: offered in {zones}"),
    "no_zone": N_("no Availability Zone"),
    "zones_chosen": N_("Chosen: {az1} and {az2}"),
    "package": N_("Package: {files} ({size} bytes)"),
    "function_config": N_("{function}: {runtime}, handler {handler}, timeout {timeout} s, MODEL_ID={model}"),
    "endpoint_ready": N_("{endpoint} is ready: {ips}"),
    "endpoint_models": N_("Endpoint {endpoint}; model resources: {count}"),
    "effect_now": N_("Effect now: {effect}"),
    "workshop_vpc": N_("Workshop VPC {vpc} ({cidr}), endpoint {endpoint}"),
    "tgw_created": N_("Created Transit Gateway {tgw}."),
    "tgw_deleted": N_("Deleted Transit Gateway {tgw}."),
    "cleanup_found": N_("Stack: {status}; workshop VPCs: {vpcs}"),
    "none": N_("none"),
    "policy_absent": N_("{policy} is not on {role}."),
    "phz_alias": N_("Private hosted zone {zone} ({name}) -> alias {target}, associated with {vpc}"),
    "caller": N_("Caller: {arn}"),
    "studio_detected": N_("SageMaker Studio detected (domain {domain}, Region {region})."),
    "execution_role": N_("Execution role, via {source}: {arn}"),
    "config_saved": N_("Saved {path}: target {target}, Region {region}, model {model}, prefix {prefix}, stack {stack}"),
    "endpoint_created": N_("Created {endpoint} ({state})"),
    "endpoint_found": N_("Found {endpoint} ({state})"),
    "eni_ips_outside": N_("The endpoint's network interfaces should be two, with IPs in {cidr}; they are {ips}."),
    "control_endpoint": N_("Control-plane endpoint: {endpoint} ({state})"),
    "inline_policies_missing": N_(
        "The role should have the inline policies enivpce-policy and lambda-bedrock-sourcevpce-access-only; it has "
        "{names}. Run the cells of Steps 1 and 2 again."),
    "function_failed": N_("The function failed: {error}"),
    "prompt": N_("Prompt: {prompt}"),
    "reply": N_("Reply ({model}):\n{reply}\n"),
    "tokens": N_("Tokens: {usage}"),
    "tgw_exists": N_("Transit Gateway {tgw} exists ({state})."),
    "sg_already_admits": N_("{group} already admits 443 from {cidr}."),
    "specific_name": N_("Endpoint-specific name: {name}"),
    "no_function": N_("No function {function}."),
    "adopted_stack_stays": N_(
        "{stack} is your instructor's (a stack set's stack): it stays, and the instructor's cleanup removes it with "
        "the stack set. Everything you created around it is gone (steps 1 to 3)."),
    "private_dns_name": N_("private DNS name: {name}"),
    # The question notebooks 04-06 send the function (WORKSHOP_PROMPT overrides it). The function finds the product
    # by its name in the prompt (lambda/app.py), so the name stays as the catalogue spells it.
    "default_prompt": N_("How long does the Pulse Running Watch battery last?"),
    "hint_deny_effect": N_("Check the endpoint's policy in the VPC console: its Effect should read Deny."),
    # The status a wait shows after "OK: <what>:" and in its progress lines.
    "status_reply": N_("reply"),
    "status_still_allowed": N_("still allowed"),
    "status_allowed": N_("allowed"),
    "status_accepted": N_("accepted"),
    "status_role_not_visible": N_("role permissions not visible yet"),
    "status_found": N_("found"),
    "status_not_delivered": N_("not delivered yet"),
    "status_left": N_("{count} left"),
    "status_gone": N_("gone"),
}

# The instructor's notebooks (notebooks/instructor/): the same mechanism, their own keys.
INSTRUCTOR_MESSAGES: dict[str, str] = {
    "room_in": N_("Room {room} in {region}"),
    "room_ou_id": N_("Set ROOM_OU_ID to the room's OU: {ous}"),
    "room_vpcs": N_("{vpcs} VPC(s) exist; {fits} participant(s) fit; {needed} more VPCs needed."),
    "room_ou_accounts": N_("{ou}: {n} active account(s)"),
    "room_estimate": N_("The room: {n} participant(s) x ${each} = ${total} for {hours} h"),
    "room_instances": N_("{name}: {n} stack instance(s)"),
    "room_shared": N_("Shared room: prefixes {prefixes} in {account}"),
    "scp_not_yet": N_("The call was allowed: the SCP is not in force yet (SCP changes can take a few minutes on AWS)."),
    "scp_refused": N_("Refused as {who}: {code}, message: {message}"),
    "scp_not_requested": N_("No guardrail requested (set ROOM_GUARDRAIL=1 with ROOM_MODE=ou)."),
    "room_summary": N_("Room {room}: {n} participant(s), {mode}, model {model}"),
    "room_predeployed": N_("Room {room}: {n} participant(s), {mode}, model {model}, workshop stack pre-deployed"),
    "room_read": N_("Read {n} participant(s) in {seconds} s"),
    "fast_forward_code": N_("Fast-forward exit code: {code}"),
    "late_joiner_unset": N_("Set ROOM_LATE_JOINER to an account ID (or prefix) to fast-forward a participant."),
    "room_not_verified": N_("Not verified empty: read the LEFT and ERROR lines above, then run this notebook again."),
    "room_clean": N_("The room is clean."),
}
assert not set(INSTRUCTOR_MESSAGES) & set(MESSAGES)
MESSAGES.update(INSTRUCTOR_MESSAGES)


def text(key: str, **fields: Any) -> str:
    """The sentence `key` in the learner's language, with its fields filled in."""
    return _(MESSAGES[key]).format(**fields)


def line(key: str, **fields: Any) -> None:
    """Print the sentence `key` (a status line of a cell)."""
    print(text(key, **fields), flush=True)


def require(ok: Any, key: str, **fields: Any) -> None:
    """A cell's check: stop the cell with the sentence `key` (what is wrong and what to do) unless `ok`."""
    if not ok:
        raise AssertionError(text(key, **fields))

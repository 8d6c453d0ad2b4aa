"""The AWS::LanguageExtensions transform for CloudFormation templates, which moto 5.2.1 does not run.

moto passes `Fn::ForEach::<name>` keys through as if they were resources and fails on them. AWS expands
the transform before it processes the template ("AWS::LanguageExtensions transform" and "Fn::ForEach",
AWS CloudFormation User Guide):

- `Fn::ForEach::<LoopName>: [Identifier, Collection, {OutputKey: OutputValue}]` in Resources, Outputs or
  Conditions becomes one copy of the fragment per item of the collection (a list, or a Ref to a
  CommaDelimitedList or List<...> parameter); in each copy `${Identifier}` and `&{Identifier}` (the item
  with non-alphanumeric characters removed) are replaced in keys and in Fn::Sub strings, and
  `{"Ref": Identifier}` becomes the item. Loops may nest.
- `Fn::Length` of a list (or of a list parameter) becomes its length.

The expansion runs when a stack builds its resource map, with the stack's parameter values.
"""

from __future__ import annotations

import re
import threading
from typing import Any

from .server import DEFERRED_PATCHES, AwsRequest, route

TRANSFORM = "AWS::LanguageExtensions"
_applied = False
_lock = threading.Lock()


class TransformError(ValueError):
    pass


def _has_transform(template: dict) -> bool:
    t = template.get("Transform")
    return t == TRANSFORM or (isinstance(t, list) and TRANSFORM in t)


def _parameter_list(template: dict, parameters: dict, name: str) -> list[str] | None:
    spec = (template.get("Parameters") or {}).get(name)
    if spec is None:
        return None
    value = parameters.get(name, spec.get("Default"))
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v) for v in value]
    return [v.strip() for v in str(value).split(",")] if str(value) != "" else []


def _collection(value: Any, template: dict, parameters: dict) -> list:
    if isinstance(value, list):
        return value
    if isinstance(value, dict) and set(value) == {"Ref"}:
        items = _parameter_list(template, parameters, value["Ref"])
        if items is not None:
            return items
    raise TransformError(f"Fn::ForEach needs a list or a Ref to a list parameter as its collection, not {value!r}")


def _replace(node: Any, ident: str, item: str) -> Any:
    alnum = re.sub(r"[^A-Za-z0-9]", "", str(item))

    def text(s: str) -> str:
        return s.replace("${" + ident + "}", str(item)).replace("&{" + ident + "}", alnum)

    if isinstance(node, dict):
        if set(node) == {"Ref"} and node["Ref"] == ident:
            return item
        out = {}
        for k, v in node.items():
            if k == "Fn::Sub" and isinstance(v, str):
                out[k] = text(v)
            elif k == "Fn::Sub" and isinstance(v, list) and v and isinstance(v[0], str):
                out[k] = [text(v[0])] + [_replace(x, ident, item) for x in v[1:]]
            else:
                out[text(k)] = _replace(v, ident, item)
        return out
    if isinstance(node, list):
        return [_replace(v, ident, item) for v in node]
    if isinstance(node, str):
        return text(node)
    return node


def _expand_section(section: dict, template: dict, parameters: dict) -> dict:
    out: dict = {}
    for key, value in section.items():
        if not key.startswith("Fn::ForEach::"):
            out[key] = value
            continue
        if not (isinstance(value, list) and len(value) == 3 and isinstance(value[0], str)
                and isinstance(value[2], dict)):
            raise TransformError(f"{key} must be [Identifier, Collection, {{OutputKey: OutputValue}}]")
        ident, collection, fragment = value
        for item in _collection(collection, template, parameters):
            copy = _replace(fragment, ident, item)
            out.update(_expand_section(copy, template, parameters))
    return out


def _lengths(node: Any, template: dict, parameters: dict) -> Any:
    if isinstance(node, dict):
        if set(node) == {"Fn::Length"}:
            return len(_collection(node["Fn::Length"], template, parameters))
        return {k: _lengths(v, template, parameters) for k, v in node.items()}
    if isinstance(node, list):
        return [_lengths(v, template, parameters) for v in node]
    return node


def expand(template: dict, parameters: dict) -> dict:
    """The template with the transform applied (unchanged when it does not declare the transform)."""
    if not isinstance(template, dict) or not _has_transform(template):
        return template
    out = dict(template)
    for section in ("Conditions", "Resources", "Outputs"):
        if isinstance(out.get(section), dict):
            out[section] = _lengths(_expand_section(out[section], template, parameters), template, parameters)
    for output in (out.get("Outputs") or {}).values():  # an output's value is a string
        if isinstance(output, dict) and isinstance(output.get("Value"), int):
            output["Value"] = str(output["Value"])
    transforms = out.get("Transform")
    rest = [t for t in (transforms if isinstance(transforms, list) else [transforms]) if t != TRANSFORM]
    if rest:
        out["Transform"] = rest
    else:
        out.pop("Transform", None)
    return out


def apply() -> None:
    """Expand the transform when a stack builds its resource map (idempotent)."""
    global _applied
    with _lock:
        if _applied:
            return
        from moto.cloudformation.exceptions import ValidationError
        from moto.cloudformation.models import Stack

        original = Stack._create_resource_map

        def _create_resource_map(self):
            try:
                self.template_dict = expand(self.template_dict, dict(self.parameters or {}))
            except TransformError as exc:
                raise ValidationError(message=f"Template format error: {exc}") from None
            return original(self)

        Stack._create_resource_map = _create_resource_map
        _applied = True


DEFERRED_PATCHES.append(apply)


@route(service="cloudformation", observe=True)
def _install_first(req: AwsRequest):
    apply()
    return None


@route(service="cloudformation", action="CreateStack")
@route(service="cloudformation", action="UpdateStack")
@route(service="cloudformation", action="CreateStackSet")
@route(service="cloudformation", action="UpdateStackSet")
def _needs_auto_expand(req: AwsRequest):
    """A template that declares a transform needs CAPABILITY_AUTO_EXPAND (CreateStack, "Capabilities", AWS
    CloudFormation API Reference)."""
    body = req.form.get("TemplateBody")
    if not body or "Transform" not in body:
        return None
    from .stacksets.models import parse_template

    try:
        template = parse_template(body)
    except Exception:  # noqa: BLE001 - moto reports template errors
        return None
    if not template.get("Transform"):
        return None
    capabilities = {v for k, v in req.form.items() if k.startswith("Capabilities.member.")}
    if "CAPABILITY_AUTO_EXPAND" not in capabilities:
        from .errors import AwsError

        code = "InsufficientCapabilitiesException"
        raise AwsError(code, "Requires capabilities : [CAPABILITY_AUTO_EXPAND]")
    return None

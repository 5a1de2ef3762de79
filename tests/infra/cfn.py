"""Reading CloudFormation templates in tests: intrinsic tags decoded by cfn-lint's loader,
and intrinsic values rendered as the `${...}` strings a reader would write by hand; and
importing infra/'s scripts to test their functions."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

from cfnlint.decode import decode

INFRA = Path(__file__).resolve().parents[2] / "infra"
TEMPLATE = INFRA / "template.yaml"
EDGE_TEMPLATE = INFRA / "edge-waf.yaml"


def load(path: Path) -> dict[str, Any]:
    template, problems = decode(str(path))
    assert not problems, f"{path} does not parse: {problems}"
    return template


def render(value: Any) -> Any:
    """`{"Fn::GetAtt": ["Bucket", "Arn"]}` → `"${Bucket.Arn}"`, `{"Ref": "X"}` → `"${X}"`."""
    if isinstance(value, dict) and len(value) == 1:
        ((function, argument),) = value.items()
        if function == "Ref":
            return f"${{{argument}}}"
        if function == "Fn::GetAtt":
            parts = argument.split(".") if isinstance(argument, str) else argument
            return f"${{{'.'.join(parts)}}}"
        if function == "Fn::Sub" and isinstance(argument, str):
            return argument
    if isinstance(value, list):
        return [render(item) for item in value]
    if isinstance(value, dict):
        return {key: render(item) for key, item in value.items()}
    return value


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def resources(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {
        name: resource
        for name, resource in template["Resources"].items()
        if resource["Type"] == kind
    }


def role_statements(template: dict[str, Any], role: str) -> list[dict[str, Any]]:
    """Every statement of a role's inline policies, intrinsics rendered."""
    properties = template["Resources"][role]["Properties"]
    return [
        render(statement)
        for policy in properties.get("Policies", [])
        for statement in as_list(policy["PolicyDocument"]["Statement"])
    ]


def all_iam_statements(template: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for name in resources(template, "AWS::IAM::Role"):
        for statement in role_statements(template, name):
            yield name, statement
    for kind in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
        for name, resource in resources(template, kind).items():
            for statement in as_list(resource["Properties"]["PolicyDocument"]["Statement"]):
                yield name, render(statement)


def actions_on(statements: list[dict[str, Any]], service: str) -> dict[str, set[str]]:
    """Allowed `service:*` actions → the resources they are allowed on."""
    allowed: dict[str, set[str]] = {}
    for statement in statements:
        if statement["Effect"] != "Allow":
            continue
        for action in as_list(statement["Action"]):
            if action.startswith(f"{service}:"):
                allowed.setdefault(action, set()).update(as_list(statement["Resource"]))
    return allowed


def parameter_default(template: dict[str, Any], value: Any) -> Any:
    """A `Ref` to a parameter → its default (what a deploy without overrides gets)."""
    if isinstance(value, dict) and "Ref" in value and value["Ref"] in template["Parameters"]:
        return template["Parameters"][value["Ref"]].get("Default")
    return value


def render_sub(text: str, values: dict[str, str]) -> str:
    """An `Fn::Sub` string with its variables replaced, `${!x}` unescaped to `${x}`."""
    for name, value in values.items():
        text = text.replace(f"${{{name}}}", value)
    return text.replace("${!", "${")


def module_from_file(path: Path, name: str) -> ModuleType:
    """A script of infra/ (not a package) imported as a module, to test its functions."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while being built
    spec.loader.exec_module(module)
    return module

"""Load infra/template.yaml (CloudFormation YAML tags included) and translate SAM → CFN."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import boto3
import yaml
from samtranslator.parser.parser import Parser
from samtranslator.translator.translator import Translator

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "infra" / "template.yaml"
LOCAL_CODE_URI = "s3://localcloud-code/deployment.zip"
LOCAL_LAYER_URI = "s3://localcloud-code/layer.zip"


class _CfnLoader(yaml.SafeLoader):
    """SafeLoader that reads ``!Ref``, ``!GetAtt``, ``!Sub``… as their long forms."""


def _construct_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {name: value}


_CfnLoader.add_multi_constructor("!", _construct_tag)


def load_template(path: Path = TEMPLATE) -> dict[str, Any]:
    """The template as plain data, with intrinsic functions in their JSON forms."""
    with path.open(encoding="utf-8") as handle:
        data: dict[str, Any] = yaml.load(handle, Loader=_CfnLoader)  # noqa: S506 - SafeLoader subclass
    return data


def inline_definitions(template: dict[str, Any], base: Path) -> dict[str, Any]:
    """Inline state machines' ``DefinitionUri`` files as ``Definition`` (as packaging does)."""
    out = copy.deepcopy(template)
    for resource in out.get("Resources", {}).values():
        props = resource.get("Properties", {})
        if resource.get("Type") == "AWS::Serverless::StateMachine" and isinstance(
            props.get("DefinitionUri"), str
        ):
            props["Definition"] = json.loads((base / props.pop("DefinitionUri")).read_text())
    return out


def to_cloudformation(
    template: dict[str, Any], parameters: dict[str, str], region: str
) -> dict[str, Any]:
    """SAM → plain CloudFormation with aws-sam-translator (what the AWS transform does).

    Overlay entries without ``Type`` (merged into Chalice's resources when packaging)
    are dropped: locally, the API is served by the local gateways.
    """
    sam = inline_definitions(template, TEMPLATE.parent)
    sam["Resources"] = {
        name: resource for name, resource in sam["Resources"].items() if "Type" in resource
    }
    function_globals = sam.get("Globals", {}).get("Function", {})
    if "CodeUri" in function_globals:
        function_globals["CodeUri"] = LOCAL_CODE_URI
    for resource in sam["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Function" and "CodeUri" in resource.get(
            "Properties", {}
        ):
            resource["Properties"]["CodeUri"] = LOCAL_CODE_URI
        if resource["Type"] == "AWS::Serverless::LayerVersion":
            resource["Properties"]["ContentUri"] = LOCAL_LAYER_URI
    translator = Translator(None, Parser(), boto_session=boto3.session.Session(region_name=region))
    result: dict[str, Any] = translator.translate(
        sam, parameter_values=dict(parameters), get_managed_policy_map=dict
    )
    return result

"""Deploy the translated template into moto (or LocalStack) through the AWS APIs.

moto's own CloudFormation leaves gaps for this template (ARCHITECTURE.md): state machines
land in a non-executing backend, event source mappings try Docker, ApiGatewayV2 is
skipped. So this module creates each resource with the same API call CloudFormation
would make, in dependency order, resolving intrinsic functions itself. Lambda functions,
event source mappings and schedules are not created in moto: they become the in-process
runtime's registry (``Deployment``).

The account id is never assumed: each deployment asks the endpoint it talks to
(``sts:GetCallerIdentity``; moto answers ``123456789012``, LocalStack ``000000000000``) and
builds every ARN with that. ``LOCALSTACK_WITHOUT_DOCKER`` is the mode for LocalStack run
without Docker or an auth token: the resource types it cannot serve there are not created,
and ``Deployment.skipped`` says which and why.
"""

from __future__ import annotations

import json
import re
import secrets
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from graphlib import TopologicalSorter
from typing import Any

import boto3

_NO_VALUE = object()
_SUB_VAR = re.compile(r"\$\{([^}!][^}]*)\}")


# What LocalStack (community, run without Docker, as `make localstack-test` does) cannot
# serve, by resource type, with the reason (ARCHITECTURE.md "LocalStack on this machine").
LOCALSTACK_WITHOUT_DOCKER: Mapping[str, str] = {
    "AWS::DynamoDB::Table": "LocalStack's DynamoDB downloads DynamoDB Local and a JDK",
    "AWS::Lambda::Function": "LocalStack's Lambda runs functions in Docker containers",
    "AWS::Lambda::EventSourceMapping": "its function is a Lambda (needs Docker)",
    "AWS::Events::Rule(schedule)": "a schedule that invokes a Lambda (needs Docker)",
    "AWS::ApiGatewayV2::Api": "API Gateway v2 WebSocket APIs are LocalStack Pro only",
    "AWS::ApiGateway::RestApi": "the REST API's integration is the API Lambda (needs Docker)",
}


class TemplateError(Exception):
    """The template uses something the local deployer does not support."""


@dataclass
class FunctionSpec:
    """A Lambda function the local runtime runs in-process."""

    logical_id: str
    name: str
    handler: str
    environment: dict[str, str]
    timeout: int
    memory: int
    arn: str = ""  # set by the deployer (with the endpoint's account id)


@dataclass
class QueueSource:
    """An SQS event source mapping the local runtime polls."""

    function: str
    queue_url: str
    queue_arn: str
    batch_size: int
    report_batch_item_failures: bool
    enabled: bool = True


@dataclass
class Schedule:
    """A scheduled rule the local runtime fires."""

    name: str
    expression: str
    function: str
    input: str | None = None
    enabled: bool = True
    rule_arn: str = ""  # set by the deployer (with the endpoint's account id)


@dataclass
class Deployment:
    """What the local runtime needs to know after deploying."""

    stack_name: str
    region: str
    account_id: str = ""
    functions: dict[str, FunctionSpec] = field(default_factory=dict)
    queue_sources: list[QueueSource] = field(default_factory=list)
    schedules: list[Schedule] = field(default_factory=list)
    state_machines: dict[str, str] = field(default_factory=dict)
    physical: dict[str, str] = field(default_factory=dict)
    outputs: dict[str, str] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)


def _refs(value: Any) -> set[str]:
    """Logical ids a value refers to (Ref, GetAtt, Sub)."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "Ref" and isinstance(inner, str):
                found.add(inner)
            elif key == "Fn::GetAtt":
                target = inner[0] if isinstance(inner, list) else str(inner).split(".", 1)[0]
                found.add(target)
            elif key == "Fn::Sub":
                text = inner if isinstance(inner, str) else inner[0]
                found.update(name.split(".", 1)[0] for name in _SUB_VAR.findall(text))
                if isinstance(inner, list):
                    found.update(_refs(inner[1]))
            else:
                found.update(_refs(inner))
    elif isinstance(value, list):
        for inner in value:
            found.update(_refs(inner))
    return found


def _generated_secret(spec: dict[str, Any]) -> str:
    """A random value as CloudFormation's ``GenerateSecretString`` would make it.

    Supports ``PasswordLength`` and ``ExcludePunctuation`` (letters and digits only);
    a ``SecretStringTemplate`` is not supported locally.
    """
    if "SecretStringTemplate" in spec:
        raise TemplateError("GenerateSecretString.SecretStringTemplate is not supported locally")
    alphabet = string.ascii_letters + string.digits
    if not spec.get("ExcludePunctuation"):
        alphabet += "!#$%&()*+,-.:;<=>?[]^_{|}~"
    length = int(spec.get("PasswordLength", 32))
    return "".join(secrets.choice(alphabet) for _ in range(length))


class Deployer:
    """Creates a CloudFormation template's resources with boto3 clients."""

    # Served by the local gateways (REST, WebSocket) or not enforced locally (IAM).
    NOT_CREATED = {
        "AWS::IAM::Role": "IAM is not enforced locally",
        "AWS::IAM::ManagedPolicy": "IAM is not enforced locally",
        "AWS::IAM::Policy": "IAM is not enforced locally",
        "AWS::Lambda::Permission": "IAM is not enforced locally",
        "AWS::SNS::Subscription": "no email leaves this machine",
        "AWS::ApiGateway::GatewayResponse": "served by the local REST gateway",
    }
    # Chalice-generated resources the template refers to; the local gateways stand in.
    EXTERNAL = {"WebsocketAPI": "local-websocket", "RestAPI": "local-rest"}
    EXTERNAL_TYPES = {
        "WebsocketAPI": "AWS::ApiGatewayV2::Api",
        "RestAPI": "AWS::ApiGateway::RestApi",
    }

    def __init__(
        self,
        template: dict[str, Any],
        *,
        stack_name: str,
        region: str,
        parameters: dict[str, str],
        endpoint_url: str,
        unsupported: Mapping[str, str] | None = None,
    ) -> None:
        self.template = template
        self.region = region
        self.endpoint_url = endpoint_url
        self.unsupported = dict(unsupported or {})
        self.account_id = ""  # asked of the endpoint when deploying
        self.deployment = Deployment(stack_name=stack_name, region=region)
        self.params: dict[str, Any] = {}
        for name, spec in template.get("Parameters", {}).items():
            self.params[name] = parameters.get(name, spec.get("Default"))
        self.params.update(
            {
                "AWS::Region": region,
                "AWS::StackName": stack_name,
                "AWS::Partition": "aws",
                "AWS::URLSuffix": "amazonaws.com",
                "AWS::NoValue": _NO_VALUE,
            }
        )
        self.conditions: dict[str, bool] = {}
        self.refs: dict[str, Any] = dict(self.EXTERNAL)
        self.attrs: dict[tuple[str, str], Any] = {}
        self._clients: dict[str, Any] = {}

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = boto3.client(
                service,
                region_name=self.region,
                endpoint_url=self.endpoint_url,
                aws_access_key_id="local",
                aws_secret_access_key="local",  # noqa: S106 - moto accepts any key
            )
        return self._clients[service]

    # ---------- intrinsic functions ----------
    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            items = [self.resolve(item) for item in value]
            return [item for item in items if item is not _NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            handler = self._intrinsics().get(key)
            if handler is not None:
                return handler(arg)
        out = {key: self.resolve(inner) for key, inner in value.items()}
        return {key: inner for key, inner in out.items() if inner is not _NO_VALUE}

    def _intrinsics(self) -> dict[str, Callable[[Any], Any]]:
        return {
            "Ref": self._ref,
            "Fn::GetAtt": self._get_att,
            "Fn::Sub": self._sub,
            "Fn::Join": lambda arg: str(arg[0]).join(str(x) for x in self.resolve(arg[1])),
            "Fn::If": self._if,
            "Fn::Select": lambda arg: self.resolve(arg[1])[int(self.resolve(arg[0]))],
            "Fn::Split": lambda arg: str(self.resolve(arg[1])).split(arg[0]),
            "Fn::Equals": lambda arg: self.resolve(arg[0]) == self.resolve(arg[1]),
            "Fn::Not": lambda arg: not self._condition_value(arg[0]),
            "Fn::And": lambda arg: all(self._condition_value(item) for item in arg),
            "Fn::Or": lambda arg: any(self._condition_value(item) for item in arg),
            "Condition": lambda arg: self.conditions[arg],
        }

    def _condition_value(self, value: Any) -> bool:
        return bool(self.resolve(value))

    def _ref(self, name: str) -> Any:
        if name in self.params:
            return self.params[name]
        if name in self.refs:
            return self.refs[name]
        raise TemplateError(f"Ref to unknown or not-yet-created {name!r}")

    def _get_att(self, arg: Any) -> Any:
        target, attribute = arg if isinstance(arg, list) else str(arg).split(".", 1)
        if target in self.EXTERNAL:
            return self.EXTERNAL[target]
        try:
            return self.attrs[(target, attribute)]
        except KeyError:
            raise TemplateError(f"GetAtt {target}.{attribute} is not available locally") from None

    def _sub(self, arg: Any) -> str:
        text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], self.resolve(arg[1]))

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in variables:
                return str(variables[name])
            if "." in name and not name.startswith("AWS::"):
                return str(self._get_att(name.split(".", 1)))
            return str(self._ref(name))

        return _SUB_VAR.sub(replace, text).replace("${!", "${")

    def _if(self, arg: list[Any]) -> Any:
        name, when_true, when_false = arg
        return self.resolve(when_true if self.conditions[name] else when_false)

    # ---------- deployment ----------
    def deploy(self) -> Deployment:
        self.account_id = self.client("sts").get_caller_identity()["Account"]
        self.deployment.account_id = self.params["AWS::AccountId"] = self.account_id
        for logical_id, kind in self.EXTERNAL_TYPES.items():
            if kind in self.unsupported:
                self.deployment.skipped[logical_id] = self.unsupported[kind]
        for name, expression in self.template.get("Conditions", {}).items():
            self.conditions[name] = self._condition_value(expression)
        resources = self.template["Resources"]
        graph: dict[str, set[str]] = {}
        for logical_id, resource in resources.items():
            depends = resource.get("DependsOn", [])
            depends = [depends] if isinstance(depends, str) else depends
            deps = (_refs(resource.get("Properties", {})) | set(depends)) & set(resources)
            graph[logical_id] = deps
        for logical_id in TopologicalSorter(graph).static_order():
            resource = resources[logical_id]
            condition = resource.get("Condition")
            if condition and not self.conditions[condition]:
                continue
            self._create(logical_id, resource["Type"], resource.get("Properties", {}))
        for name, output in self.template.get("Outputs", {}).items():
            self.deployment.outputs[name] = str(self.resolve(output["Value"]))
        return self.deployment

    def _create(self, logical_id: str, kind: str, raw_props: dict[str, Any]) -> None:
        if kind in self.NOT_CREATED:
            self.deployment.skipped[logical_id] = self.NOT_CREATED[kind]
            if kind == "AWS::IAM::Role":
                self._set(logical_id, f"role-{logical_id}", Arn=self._role_arn(logical_id))
            else:
                self._set(logical_id, f"arn:aws:iam::{self.account_id}:policy/{logical_id}")
            return
        if kind in self.unsupported:
            self.deployment.skipped[logical_id] = self.unsupported[kind]
            self._stand_in(logical_id, kind, self.resolve(raw_props))
            return
        creator = getattr(self, "_create_" + kind.replace("::", "_").lower(), None)
        if creator is None:
            raise TemplateError(f"{logical_id}: resource type {kind} is not supported locally")
        creator(logical_id, self.resolve(raw_props))

    def _set(self, logical_id: str, ref: Any, **attrs: Any) -> None:
        self.refs[logical_id] = ref
        self.deployment.physical[logical_id] = str(ref)
        for name, value in attrs.items():
            self.attrs[(logical_id, name)] = value

    def _stand_in(self, logical_id: str, kind: str, props: dict[str, Any]) -> None:
        """Names and ARNs of a resource the target cannot create, for what refers to it."""
        if kind == "AWS::DynamoDB::Table":
            name = self._name(logical_id, props, "TableName")
            arn = f"arn:aws:dynamodb:{self.region}:{self.account_id}:table/{name}"
            self._set(logical_id, name, Arn=arn, StreamArn=f"{arn}/stream/not-created")
        elif kind == "AWS::Lambda::Function":
            name = self._name(logical_id, props, "FunctionName")
            self._set(logical_id, name, Arn=self._function_arn(name))
        else:
            self._set(logical_id, f"not-created-{logical_id}")

    def _function_arn(self, name: str) -> str:
        return f"arn:aws:lambda:{self.region}:{self.account_id}:function:{name}"

    def _role_arn(self, logical_id: str) -> str:
        return f"arn:aws:iam::{self.account_id}:role/{self.deployment.stack_name}-{logical_id}"

    def _name(self, logical_id: str, props: dict[str, Any], key: str) -> str:
        return str(props.get(key) or f"{self.deployment.stack_name}-{logical_id}")

    # ---------- creators, one per resource type ----------
    def _create_aws_dynamodb_table(self, logical_id: str, props: dict[str, Any]) -> None:
        name = self._name(logical_id, props, "TableName")
        args: dict[str, Any] = {
            "TableName": name,
            "AttributeDefinitions": props["AttributeDefinitions"],
            "KeySchema": props["KeySchema"],
            "BillingMode": props.get("BillingMode", "PROVISIONED"),
        }
        if args["BillingMode"] == "PROVISIONED":
            args["ProvisionedThroughput"] = props["ProvisionedThroughput"]
        for key in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes", "StreamSpecification"):
            if key in props:
                args[key] = props[key]
        dynamodb = self.client("dynamodb")
        table = dynamodb.create_table(**args)["TableDescription"]
        ttl = props.get("TimeToLiveSpecification")
        if ttl and ttl.get("Enabled"):
            dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)
        self._set(logical_id, name, Arn=table["TableArn"], StreamArn=table.get("LatestStreamArn"))

    def _create_aws_sqs_queue(self, logical_id: str, props: dict[str, Any]) -> None:
        name = self._name(logical_id, props, "QueueName")
        attributes: dict[str, str] = {}
        for key in (
            "VisibilityTimeout",
            "MessageRetentionPeriod",
            "DelaySeconds",
            "ReceiveMessageWaitTimeSeconds",
            "MaximumMessageSize",
            "FifoQueue",
            "ContentBasedDeduplication",
        ):
            if key in props:
                value = props[key]
                attributes[key] = str(value).lower() if isinstance(value, bool) else str(value)
        if "RedrivePolicy" in props:
            attributes["RedrivePolicy"] = json.dumps(props["RedrivePolicy"])
        sqs = self.client("sqs")
        url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        arn = f"arn:aws:sqs:{self.region}:{self.account_id}:{name}"
        self._set(logical_id, url, Arn=arn, QueueName=name, QueueUrl=url)

    def _create_aws_sqs_queuepolicy(self, logical_id: str, props: dict[str, Any]) -> None:
        for url in props["Queues"]:
            self.client("sqs").set_queue_attributes(
                QueueUrl=url, Attributes={"Policy": json.dumps(props["PolicyDocument"])}
            )
        self._set(logical_id, logical_id)

    def _create_aws_s3_bucket(self, logical_id: str, props: dict[str, Any]) -> None:
        name = self._name(logical_id, props, "BucketName").lower()
        s3 = self.client("s3")
        if self.region == "us-east-1":
            s3.create_bucket(Bucket=name)
        else:
            s3.create_bucket(
                Bucket=name, CreateBucketConfiguration={"LocationConstraint": self.region}
            )
        if "PublicAccessBlockConfiguration" in props:
            s3.put_public_access_block(
                Bucket=name, PublicAccessBlockConfiguration=props["PublicAccessBlockConfiguration"]
            )
        if "CorsConfiguration" in props:
            s3.put_bucket_cors(
                Bucket=name,
                CORSConfiguration={"CORSRules": props["CorsConfiguration"]["CorsRules"]},
            )
        notifications = props.get("NotificationConfiguration", {})
        queue_configs = []
        for item in notifications.get("QueueConfigurations", []):
            config: dict[str, Any] = {"QueueArn": item["Queue"], "Events": [item["Event"]]}
            rules = item.get("Filter", {}).get("S3Key", {}).get("Rules")
            if rules:
                config["Filter"] = {"Key": {"FilterRules": rules}}
            queue_configs.append(config)
        if queue_configs:
            s3.put_bucket_notification_configuration(
                Bucket=name, NotificationConfiguration={"QueueConfigurations": queue_configs}
            )
        self._set(
            logical_id,
            name,
            Arn=f"arn:aws:s3:::{name}",
            DomainName=f"{name}.s3.amazonaws.com",
            RegionalDomainName=f"{name}.s3.{self.region}.amazonaws.com",
        )

    def _create_aws_events_eventbus(self, logical_id: str, props: dict[str, Any]) -> None:
        name = props["Name"]
        arn = self.client("events").create_event_bus(Name=name)["EventBusArn"]
        self._set(logical_id, name, Arn=arn, Name=name)

    def _create_aws_events_rule(self, logical_id: str, props: dict[str, Any]) -> None:
        name = self._name(logical_id, props, "Name")
        targets = props.get("Targets", [])
        if "ScheduleExpression" in props:
            arn = f"arn:aws:events:{self.region}:{self.account_id}:rule/{name}"
            reason = self.unsupported.get("AWS::Events::Rule(schedule)")
            if reason:
                self.deployment.skipped[logical_id] = reason
                self._set(logical_id, name, Arn=arn)
                return
            for target in targets:
                self.deployment.schedules.append(
                    Schedule(
                        name=name,
                        expression=props["ScheduleExpression"],
                        function=self._function_name_from_arn(target["Arn"]),
                        input=target.get("Input"),
                        enabled=props.get("State", "ENABLED") == "ENABLED",
                        rule_arn=arn,
                    )
                )
            self._set(logical_id, name, Arn=arn)
            return
        events = self.client("events")
        bus = props.get("EventBusName", "default")
        arn = events.put_rule(
            Name=name,
            EventBusName=bus,
            EventPattern=json.dumps(props["EventPattern"]),
            State=props.get("State", "ENABLED"),
            Description=props.get("Description", ""),
        )["RuleArn"]
        for target in targets:
            if ":sqs:" not in target["Arn"]:
                raise TemplateError(
                    f"{logical_id}: only SQS targets run locally; route events to Lambda "
                    "through a queue (EventBridge → SQS → Lambda)"
                )
        if targets:
            events.put_targets(
                Rule=name,
                EventBusName=bus,
                Targets=[{"Id": t["Id"], "Arn": t["Arn"]} for t in targets],
            )
        self._set(logical_id, name, Arn=arn)

    def _create_aws_stepfunctions_statemachine(
        self, logical_id: str, props: dict[str, Any]
    ) -> None:
        name = self._name(logical_id, props, "StateMachineName")
        definition = props.get("DefinitionString")
        if definition is None:
            definition = json.dumps(props["Definition"])
        for key, value in props.get("DefinitionSubstitutions", {}).items():
            definition = definition.replace("${" + key + "}", str(value))
        arn = self.client("stepfunctions").create_state_machine(
            name=name,
            definition=definition,
            roleArn=props.get("RoleArn") or self._role_arn(logical_id),
            type=props.get("StateMachineType", "STANDARD"),
        )["stateMachineArn"]
        self.deployment.state_machines[logical_id] = arn
        self._set(logical_id, arn, Arn=arn, Name=name)

    def _create_aws_lambda_function(self, logical_id: str, props: dict[str, Any]) -> None:
        name = self._name(logical_id, props, "FunctionName")
        spec = FunctionSpec(
            logical_id=logical_id,
            name=name,
            handler=props["Handler"],
            environment={
                k: str(v) for k, v in props.get("Environment", {}).get("Variables", {}).items()
            },
            timeout=int(props.get("Timeout", 3)),
            memory=int(props.get("MemorySize", 128)),
            arn=self._function_arn(name),
        )
        self.deployment.functions[name] = spec
        self._set(logical_id, name, Arn=spec.arn)

    def _create_aws_lambda_layerversion(self, logical_id: str, props: dict[str, Any]) -> None:
        # Handlers run in this process, so a layer's packages come from the venv
        # (requirements-dev.txt installs layers/*/requirements.txt).
        name = str(props.get("LayerName") or logical_id)
        self.deployment.skipped[logical_id] = "layer packages come from the local venv"
        self._set(logical_id, f"arn:aws:lambda:{self.region}:{self.account_id}:layer:{name}:1")

    def _create_aws_lambda_eventsourcemapping(self, logical_id: str, props: dict[str, Any]) -> None:
        source_arn = props["EventSourceArn"]
        if ":sqs:" not in source_arn:
            raise TemplateError(f"{logical_id}: only SQS event sources run locally")
        queue_name = source_arn.rsplit(":", 1)[1]
        url = self.client("sqs").get_queue_url(QueueName=queue_name)["QueueUrl"]
        self.deployment.queue_sources.append(
            QueueSource(
                function=self._function_name_from_arn(props["FunctionName"]),
                queue_url=url,
                queue_arn=source_arn,
                batch_size=int(props.get("BatchSize", 10)),
                report_batch_item_failures="ReportBatchItemFailures"
                in props.get("FunctionResponseTypes", []),
                enabled=bool(props.get("Enabled", True)),
            )
        )
        self._set(logical_id, f"esm-{logical_id}")

    def _create_aws_sns_topic(self, logical_id: str, props: dict[str, Any]) -> None:
        name = self._name(logical_id, props, "TopicName")
        arn = self.client("sns").create_topic(Name=name)["TopicArn"]
        self._set(logical_id, arn, TopicName=name, TopicArn=arn)

    def _create_aws_cloudwatch_alarm(self, logical_id: str, props: dict[str, Any]) -> None:
        args = {key: value for key, value in props.items() if key not in ("Tags",)}
        self.client("cloudwatch").put_metric_alarm(**args)
        self._set(logical_id, props["AlarmName"])

    def _create_aws_cloudwatch_dashboard(self, logical_id: str, props: dict[str, Any]) -> None:
        json.loads(props["DashboardBody"])  # a broken body fails here, as it would on AWS
        self.client("cloudwatch").put_dashboard(
            DashboardName=props["DashboardName"], DashboardBody=props["DashboardBody"]
        )
        self._set(logical_id, props["DashboardName"])

    def _create_aws_ssm_parameter(self, logical_id: str, props: dict[str, Any]) -> None:
        name = self._name(logical_id, props, "Name")
        self.client("ssm").put_parameter(
            Name=name, Value=str(props["Value"]), Type=props.get("Type", "String"), Overwrite=True
        )
        self._set(logical_id, name)

    def _create_aws_ses_emailidentity(self, logical_id: str, props: dict[str, Any]) -> None:
        identity = props["EmailIdentity"]
        ses = self.client("ses")
        if "@" in identity:
            ses.verify_email_identity(EmailAddress=identity)
        else:
            ses.verify_domain_identity(Domain=identity)
        self._set(logical_id, identity)

    def _create_aws_secretsmanager_secret(self, logical_id: str, props: dict[str, Any]) -> None:
        name = self._name(logical_id, props, "Name")
        value = props.get("SecretString")
        if value is None:
            value = _generated_secret(props.get("GenerateSecretString", {}))
        args: dict[str, Any] = {"Name": name, "SecretString": str(value)}
        if props.get("Description"):
            args["Description"] = props["Description"]
        arn = self.client("secretsmanager").create_secret(**args)["ARN"]
        self._set(logical_id, arn, Id=arn)

    def _function_name_from_arn(self, value: str) -> str:
        return value.rsplit(":function:", 1)[-1] if ":function:" in value else value


def deploy(
    template: dict[str, Any],
    *,
    stack_name: str,
    region: str,
    parameters: dict[str, str],
    endpoint_url: str,
    unsupported: Mapping[str, str] | None = None,
) -> Deployment:
    """Create every resource of a (translated) template; returns the runtime registry.

    ``unsupported`` maps resource types the endpoint cannot serve to the reason (e.g.
    ``LOCALSTACK_WITHOUT_DOCKER``): those are not created, only named, and listed in
    ``Deployment.skipped``. The account id comes from the endpoint (``sts``), once.
    """
    return Deployer(
        template,
        stack_name=stack_name,
        region=region,
        parameters=parameters,
        endpoint_url=endpoint_url,
        unsupported=unsupported,
    ).deploy()

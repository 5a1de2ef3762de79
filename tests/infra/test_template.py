"""The deployment template: cfn-lint clean, and the security baseline of SPEC §8 / issue 6
read off the parsed template (what `aws cloudformation deploy` would create)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from cfnlint.api import ManualArgs, lint_file

from tests.infra.cfn import (
    EDGE_TEMPLATE,
    TEMPLATE,
    actions_on,
    all_iam_statements,
    as_list,
    load,
    module_from_file,
    parameter_default,
    render,
    resources,
    role_statements,
)

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# Actions that read or write data; none may be allowed on every resource.
DATA_ACTION = re.compile(
    r"^(s3|sqs|kms|secretsmanager|dynamodb|logs|rds|sns):|^ssm:(Get|Put|Delete)Parameter"
)
# A region where a small Vietnamese shop would deploy, and the two most common others.
LINT_REGIONS = ("ap-southeast-1", "us-east-1", "eu-west-1")


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load(TEMPLATE)


@pytest.fixture(scope="module")
def edge() -> dict[str, Any]:
    return load(EDGE_TEMPLATE)


def properties(template: dict[str, Any], name: str) -> dict[str, Any]:
    return template["Resources"][name]["Properties"]


def environment(template: dict[str, Any], function: str) -> dict[str, Any]:
    return render(properties(template, function)["Environment"]["Variables"])


# ---------------------------------------------------------------- lint


@pytest.mark.parametrize("path", [TEMPLATE, EDGE_TEMPLATE], ids=lambda path: path.name)
def test_templates_are_cfn_lint_clean_including_informational_checks(path: Path) -> None:
    problems = lint_file(path, config=ManualArgs(regions=list(LINT_REGIONS), include_checks=["I"]))
    assert not problems, "\n".join(str(problem) for problem in problems)


# ---------------------------------------------------------------- IAM


def test_no_role_uses_managed_policies_everything_is_written_out(template) -> None:
    for name, role in resources(template, "AWS::IAM::Role").items():
        assert "ManagedPolicyArns" not in role["Properties"], name


def test_no_statement_allows_a_wildcard_action(template) -> None:
    for role, statement in all_iam_statements(template):
        for action in as_list(statement["Action"]):
            assert "*" not in action, f"{role}: {action}"


def test_no_data_action_is_allowed_on_every_resource(template) -> None:
    for role, statement in all_iam_statements(template):
        if statement["Effect"] != "Allow" or "*" not in as_list(statement["Resource"]):
            continue
        data_actions = [a for a in as_list(statement["Action"]) if DATA_ACTION.match(a)]
        assert not data_actions, f"{role} allows {data_actions} on '*'"


def test_each_function_runs_as_its_own_role(template) -> None:
    assert render(properties(template, "IngestFunction")["Role"]) == "${IngestRole.Arn}"
    assert render(properties(template, "LoaderFunction")["Role"]) == "${LoaderRole.Arn}"


def test_ingest_may_only_put_objects_under_raw_and_invalid_and_send_to_its_queue(template):
    statements = role_statements(template, "IngestRole")
    assert actions_on(statements, "s3") == {
        "s3:PutObject": {"${RawBucket.Arn}/raw/*", "${RawBucket.Arn}/invalid/*"}
    }
    assert actions_on(statements, "sqs") == {"sqs:SendMessage": {"${IngestDeadLetterQueue.Arn}"}}
    salt = (
        "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:"
        "parameter${ParameterPrefix}/ingest/user-id-salt"
    )
    assert actions_on(statements, "ssm") == {"ssm:GetParameters": {salt}}
    assert actions_on(statements, "logs") == {
        "logs:CreateLogStream": {"${IngestLogGroup.Arn}"},
        "logs:PutLogEvents": {"${IngestLogGroup.Arn}"},
    }


def test_loader_may_only_list_and_read_raw_and_invalid(template) -> None:
    statements = role_statements(template, "LoaderRole")
    assert actions_on(statements, "s3") == {
        "s3:ListBucket": {"${RawBucket.Arn}"},
        "s3:GetObject": {"${RawBucket.Arn}/raw/*", "${RawBucket.Arn}/invalid/*"},
    }
    listing = next(s for s in statements if "s3:ListBucket" in as_list(s["Action"]))
    assert set(listing["Condition"]["StringLike"]["s3:prefix"]) == {"raw/*", "invalid/*"}
    assert actions_on(statements, "sqs") == {}
    password = (
        "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:"
        "parameter${ParameterPrefix}/db/loader-password"
    )
    assert actions_on(statements, "ssm") == {"ssm:GetParameter": {password}}


def test_the_instance_cannot_touch_the_lake_and_reads_only_its_own_parameters(template) -> None:
    statements = role_statements(template, "InstanceRole")
    s3_resources = set().union(*actions_on(statements, "s3").values())
    assert not any("RawBucket" in resource for resource in s3_resources)
    assert s3_resources == {
        "${BackupBucket.Arn}/postgres/*",
        "${BackupBucket.Arn}",
        "arn:${AWS::Partition}:s3:::${ArtifactBucket}/${InstanceBundleKey}",
    }
    parameter_resources = set().union(
        *(v for k, v in actions_on(statements, "ssm").items() if "Parameter" in k)
    )
    prefix = (
        "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter${ParameterPrefix}"
    )
    assert parameter_resources == {f"{prefix}/instance/settings", f"{prefix}/db/*"}
    metrics = next(s for s in statements if "cloudwatch:PutMetricData" in as_list(s["Action"]))
    assert metrics["Condition"] == {"StringEquals": {"cloudwatch:namespace": "Clickstream"}}


def test_parameters_the_code_reads_match_what_the_roles_may_read(template) -> None:
    ingest = environment(template, "IngestFunction")
    loader = environment(template, "LoaderFunction")
    arn_prefix = "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter"
    ingest_ssm = actions_on(role_statements(template, "IngestRole"), "ssm")
    loader_ssm = actions_on(role_statements(template, "LoaderRole"), "ssm")
    salt = ingest["CLICKSTREAM_USER_ID_SALT_SSM_PARAMETER"]
    password = loader["LOADER_DATABASE_PASSWORD_PARAMETER"]
    assert ingest_ssm["ssm:GetParameters"] == {arn_prefix + salt}
    assert loader_ssm["ssm:GetParameter"] == {arn_prefix + password}


# ---------------------------------------------------------------- network


def ingress_rules(template: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    rules = [
        (name, rule)
        for name, group in resources(template, "AWS::EC2::SecurityGroup").items()
        for rule in group["Properties"].get("SecurityGroupIngress", [])
    ]
    rules += [
        (name, rule["Properties"])
        for name, rule in resources(template, "AWS::EC2::SecurityGroupIngress").items()
    ]
    return rules


def covers(rule: dict[str, Any], port: int) -> bool:
    if str(rule["IpProtocol"]) == "-1":
        return True
    return int(rule["FromPort"]) <= port <= int(rule["ToPort"])


def test_no_security_group_opens_postgres_or_ssh_to_the_internet(template) -> None:
    for name, rule in ingress_rules(template):
        cidr = parameter_default(template, rule.get("CidrIp"))
        open_to_all = cidr == "0.0.0.0/0" or rule.get("CidrIpv6") == "::/0"
        for port in (5432, 22):
            assert not (open_to_all and covers(rule, port)), f"{name} opens {port} to the world"


def test_postgres_admits_the_loader_security_group_only_and_nothing_listens_for_ssh(template):
    postgres = [(name, rule) for name, rule in ingress_rules(template) if covers(rule, 5432)]
    assert [render(rule.get("SourceSecurityGroupId")) for _, rule in postgres] == [
        "${LoaderSecurityGroup}"
    ]
    assert all(not rule.get("CidrIp") for _, rule in postgres)
    assert not [name for name, rule in ingress_rules(template) if covers(rule, 22)]


def test_private_network_has_no_nat_and_reaches_s3_through_a_gateway_endpoint(template) -> None:
    assert not resources(template, "AWS::EC2::NatGateway")
    routes = resources(template, "AWS::EC2::Route")
    assert all(
        render(route["Properties"]["RouteTableId"]) != "${PrivateRouteTable}"
        for route in routes.values()
    ), "the private route table must not route anywhere but the VPC and its endpoints"
    endpoint = properties(template, "S3GatewayEndpoint")
    assert endpoint["VpcEndpointType"] == "Gateway"
    assert render(endpoint["RouteTableIds"]) == ["${PrivateRouteTable}"]
    for subnet in ("PrivateSubnetA", "PrivateSubnetB"):
        assert properties(template, subnet)["MapPublicIpOnLaunch"] is False


def test_warehouse_instance_is_private_without_ssh_with_imdsv2_and_encrypted_disks(template):
    instance = properties(template, "DataInstance")
    assert render(instance["SubnetId"]) == "${PrivateSubnetA}"
    assert "KeyName" not in instance
    assert "NetworkInterfaces" not in instance  # no public address association
    assert instance["MetadataOptions"]["HttpTokens"] == "required"
    assert all(mapping["Ebs"]["Encrypted"] for mapping in instance["BlockDeviceMappings"])
    assert properties(template, "DataVolume")["Encrypted"] is True
    assert template["Resources"]["DataVolume"]["DeletionPolicy"] == "Snapshot"


def test_loader_runs_in_the_private_subnets_and_connects_over_tls_as_its_role(template) -> None:
    vpc = render(properties(template, "LoaderFunction")["VpcConfig"])
    assert vpc == {
        "SubnetIds": ["${PrivateSubnetA}", "${PrivateSubnetB}"],
        "SecurityGroupIds": ["${LoaderSecurityGroup}"],
    }
    url = environment(template, "LoaderFunction")["LOADER_DATABASE_URL"]
    assert url.startswith("postgresql://clickstream_loader@${DataInstance.PrivateIp}:5432/")
    assert url.endswith("?sslmode=require")
    assert ":" not in url.split("//", 1)[1].split("@", 1)[0], "no password in the URL"


def test_interface_endpoints_give_session_manager_parameters_and_metrics_without_nat(template):
    endpoints = {
        render(endpoint["Properties"]["ServiceName"]).rsplit(".", 1)[1]: endpoint["Properties"]
        for endpoint in resources(template, "AWS::EC2::VPCEndpoint").values()
        if endpoint["Properties"]["VpcEndpointType"] == "Interface"
    }
    assert set(endpoints) == {"ssm", "ssmmessages", "monitoring"}
    assert all(endpoint["PrivateDnsEnabled"] is True for endpoint in endpoints.values())
    session = next(
        s for s in role_statements(template, "InstanceRole") if s.get("Sid") == "SessionManager"
    )
    assert {"ssm:UpdateInstanceInformation", "ssmmessages:OpenDataChannel"} <= set(
        session["Action"]
    )


def test_s3_gateway_endpoint_reaches_only_this_stacks_buckets_and_the_os_repositories(template):
    policy = render(properties(template, "S3GatewayEndpoint")["PolicyDocument"])
    reached = {r for s in policy["Statement"] for r in as_list(s["Resource"])}
    assert "*" not in reached
    assert reached == {
        "${RawBucket.Arn}",
        "${RawBucket.Arn}/*",
        "${BackupBucket.Arn}",
        "${BackupBucket.Arn}/*",
        "arn:${AWS::Partition}:s3:::${ArtifactBucket}/*",
        "arn:${AWS::Partition}:s3:::al2023-repos-${AWS::Region}-de612dc2/*",
    }


def test_instance_image_is_pinned_so_an_update_never_replaces_the_instance(template) -> None:
    # An SSM-typed image parameter is resolved again on every update; a newer image would
    # replace the instance and strand its data volume.
    image = template["Parameters"]["InstanceImageId"]
    assert image["Type"] == "AWS::EC2::Image::Id"
    assert "Default" not in image
    deploy = (PROJECT_ROOT / "infra" / "deploy.sh").read_text()
    assert "InstanceImageId=$image" in deploy, "deploy.sh picks the image on the first deploy"


# ---------------------------------------------------------------- storage


def bucket_policies(template: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    return {
        render(policy["Properties"]["Bucket"]): [
            render(s) for s in as_list(policy["Properties"]["PolicyDocument"]["Statement"])
        ]
        for policy in resources(template, "AWS::S3::BucketPolicy").values()
    }


def test_every_bucket_is_encrypted_private_and_tls_only(template) -> None:
    buckets = resources(template, "AWS::S3::Bucket")
    assert set(buckets) == {"RawBucket", "BackupBucket"}
    policies = bucket_policies(template)
    for name, bucket in buckets.items():
        settings = bucket["Properties"]
        rules = settings["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        assert rules[0]["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in {"AES256", "aws:kms"}
        assert settings["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        }
        tls_only = [
            s
            for s in policies[f"${{{name}}}"]
            if s["Effect"] == "Deny"
            and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
            and as_list(s["Action"]) == ["s3:*"]
        ]
        assert tls_only, f"{name} has no TLS-only statement"
        assert set(as_list(tls_only[0]["Resource"])) == {f"${{{name}.Arn}}", f"${{{name}.Arn}}/*"}


def test_bucket_policies_never_allow_anyone(template) -> None:
    for bucket, statements in bucket_policies(template).items():
        assert all(s["Effect"] == "Deny" for s in statements), bucket


def test_raw_lifecycle_standard_ia_at_30_glacier_at_365_expiry_at_retention(template) -> None:
    raw = properties(template, "RawBucket")
    assert raw["VersioningConfiguration"] == {"Status": "Enabled"}
    rules = {rule["Id"]: render(rule) for rule in raw["LifecycleConfiguration"]["Rules"]}
    transitions = {
        (t["StorageClass"], t["TransitionInDays"])
        for rule in rules.values()
        for t in rule.get("Transitions", [])
    }
    assert transitions == {("STANDARD_IA", 30), ("GLACIER", 365)}
    expiring = [r for r in rules.values() if "ExpirationInDays" in r]
    assert [r["ExpirationInDays"] for r in expiring] == ["${RawRetentionDays}"]
    assert expiring[0]["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 1}
    retention = template["Parameters"]["RawRetentionDays"]
    assert (retention["MinValue"], retention["Default"]) == (90, 365)


# ---------------------------------------------------------------- collector and loader wiring


def test_collector_is_post_v1_events_to_the_ingest_lambda_with_cors_and_throttling(template):
    assert properties(template, "CollectorApi")["ProtocolType"] == "HTTP"
    cors = render(properties(template, "CollectorApi")["CorsConfiguration"])
    assert cors["AllowOrigins"] == ["${SiteOrigin}"]
    assert properties(template, "CollectorRoute")["RouteKey"] == "POST /v1/events"
    integration = render(properties(template, "CollectorIntegration"))
    assert integration["IntegrationUri"] == "${IngestFunction.Arn}"
    assert integration["PayloadFormatVersion"] == "2.0"
    throttle = render(properties(template, "CollectorStage")["DefaultRouteSettings"])
    assert throttle == {
        "ThrottlingRateLimit": "${CollectorRateLimit}",
        "ThrottlingBurstLimit": "${CollectorBurstLimit}",
    }
    handler = properties(template, "IngestFunction")["Handler"]
    assert handler == "ingest.handler.lambda_handler"


def test_ingest_lambda_is_wired_to_the_lake_the_dead_letter_queue_and_the_site(template):
    env = environment(template, "IngestFunction")
    assert env["CLICKSTREAM_LAKE"] == "s3://${RawBucket}"
    assert env["INGEST_DLQ_URL"] == "${IngestDeadLetterQueue}"
    assert env["INGEST_ALLOWED_ORIGINS"] == "${SiteOrigin}"
    assert env["INGEST_WRITE_KEYS"] == "${CollectorWriteKey}"
    assert env["AWS_LAMBDA_EXEC_WRAPPER"] == "/var/task/ssm_env_wrapper.py"
    assert "CLICKSTREAM_USER_ID_SALT" not in env, "the salt must come from Parameter Store"
    queue = properties(template, "IngestDeadLetterQueue")
    assert queue["SqsManagedSseEnabled"] is True
    assert template["Parameters"]["CollectorWriteKey"]["NoEcho"] is True


def test_browsers_may_send_the_write_key_and_a_signed_in_token_cross_origin(template) -> None:
    cors = properties(template, "CollectorApi")["CorsConfiguration"]
    assert {"content-type", "x-api-key", "authorization"} <= set(cors["AllowHeaders"])
    sdk = (PROJECT_ROOT / "sdk" / "src" / "index.ts").read_text()
    assert "headers['x-api-key']" in sdk and "headers.authorization" in sdk


def test_ingest_times_out_before_the_gateway_so_a_slow_lake_still_gets_its_5xx(template):
    timeout_seconds = properties(template, "IngestFunction")["Timeout"]
    integration = properties(template, "CollectorIntegration")["TimeoutInMillis"]
    assert timeout_seconds * 1000 < integration <= 30_000
    # Room for a failed S3 write and then the dead-letter write (ingest/storage.py, dlq.py).
    assert timeout_seconds >= 2 * 14


def test_cloudfront_forwards_only_what_enrichment_needs_and_injects_the_write_key(template):
    config = properties(template, "CollectorOriginRequestPolicy")["OriginRequestPolicyConfig"]
    headers = config["HeadersConfig"]
    assert headers["HeaderBehavior"] == "whitelist"
    assert {"User-Agent", "CloudFront-Viewer-Country", "Origin"} <= set(headers["Headers"])
    assert "CloudFront-Viewer-Address" not in headers["Headers"], "the client IP is never kept"
    assert config["CookiesConfig"] == {"CookieBehavior": "none"}
    assert config["QueryStringsConfig"] == {"QueryStringBehavior": "all"}, "beacon writeKey"
    (origin,) = properties(template, "CollectorDistribution")["DistributionConfig"]["Origins"]
    injected = origin["OriginCustomHeaders"]["Fn::If"]
    assert injected[0] == "HasWriteKey"
    (header,) = injected[1]
    assert header["HeaderName"] == "x-api-key"
    # The first of the comma-separated keys: INGEST_WRITE_KEYS accepts them all.
    first_key = {"Fn::Select": [0, {"Fn::Split": [",", {"Ref": "CollectorWriteKey"}]}]}
    assert header["HeaderValue"] == first_key
    behavior = properties(template, "CollectorDistribution")["DistributionConfig"]
    assert behavior["DefaultCacheBehavior"]["ViewerProtocolPolicy"] == "https-only"


def test_site_sign_in_is_a_cognito_pool_with_a_public_srp_client(template) -> None:
    pool = template["Resources"]["SiteUserPool"]
    client = properties(template, "SiteUserPoolClient")
    assert pool["Condition"] == "CreatesSiteUserPool"
    assert pool["DeletionPolicy"] == "Retain", "customer accounts outlive the stack"
    assert render(client["UserPoolId"]) == "${SiteUserPool}"
    assert client["GenerateSecret"] is False, "a browser cannot keep a client secret"
    assert set(client["ExplicitAuthFlows"]) == {"ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"}
    outputs = template["Outputs"]
    assert render(outputs["SiteUserPoolClientId"]["Value"]) == "${SiteUserPoolClient}"


def code_mentions(variable: str, *packages: str) -> bool:
    return any(
        variable in path.read_text()
        for package in packages
        for path in (PROJECT_ROOT / package).rglob("*.py")
    )


@pytest.mark.parametrize(
    ("function", "packages"),
    [("IngestFunction", ("ingest", "shared")), ("LoaderFunction", ("loader", "shared"))],
)
def test_every_variable_the_template_sets_is_one_the_packaged_code_reads(
    template, function, packages
) -> None:
    platform = {"AWS_LAMBDA_EXEC_WRAPPER", "POWERTOOLS_SERVICE_NAME", "LOG_LEVEL"}
    for variable in environment(template, function):
        if variable in platform:
            continue
        read = variable.removesuffix("_SSM_PARAMETER")  # resolved by the exec wrapper
        assert code_mentions(read, *packages), f"{function} sets {variable}; nothing reads {read}"


def test_loader_schedule_invokes_the_loader_and_may_do_so(template) -> None:
    rule = render(properties(template, "LoaderScheduleRule"))
    assert rule["ScheduleExpression"] == "${LoaderSchedule}"
    assert rule["State"] == "ENABLED"
    assert [target["Arn"] for target in rule["Targets"]] == ["${LoaderFunction.Arn}"]
    permission = render(properties(template, "LoaderSchedulePermission"))
    assert permission["Principal"] == "events.amazonaws.com"
    assert permission["SourceArn"] == "${LoaderScheduleRule.Arn}"
    assert permission["FunctionName"] == "${LoaderFunction}"
    assert template["Parameters"]["LoaderSchedule"]["Default"] == "rate(1 hour)"
    assert properties(template, "LoaderFunction")["Handler"] == "loader.handler.lambda_handler"


# ---------------------------------------------------------------- alarms and budget


def alarms_on(template: dict[str, Any], namespace: str, metric: str) -> list[dict[str, Any]]:
    return [
        render(alarm["Properties"])
        for alarm in resources(template, "AWS::CloudWatch::Alarm").values()
        if alarm["Properties"]["Namespace"] == namespace
        and alarm["Properties"]["MetricName"] == metric
    ]


@pytest.mark.parametrize(
    ("namespace", "metric", "dimension", "comparison", "threshold"),
    [
        ("AWS/ApiGateway", "5xx", ("ApiId", "${CollectorApi}"), "GreaterThanOrEqualToThreshold", 5),
        (
            "AWS/Lambda",
            "Errors",
            ("FunctionName", "${IngestFunction}"),
            "GreaterThanOrEqualToThreshold",
            1,
        ),
        (
            "AWS/Lambda",
            "Throttles",
            ("FunctionName", "${IngestFunction}"),
            "GreaterThanOrEqualToThreshold",
            1,
        ),
        (
            "AWS/Lambda",
            "Errors",
            ("FunctionName", "${LoaderFunction}"),
            "GreaterThanOrEqualToThreshold",
            1,
        ),
        (
            "AWS/Lambda",
            "Throttles",
            ("FunctionName", "${LoaderFunction}"),
            "GreaterThanOrEqualToThreshold",
            1,
        ),
        (
            "AWS/SQS",
            "ApproximateNumberOfMessagesVisible",
            ("QueueName", "${IngestDeadLetterQueue.QueueName}"),
            "GreaterThanThreshold",
            0,
        ),
        (
            "Clickstream",
            "DataFreshnessMinutes",
            ("Stack", "${AWS::StackName}"),
            "GreaterThanThreshold",
            "${FreshnessThresholdMinutes}",
        ),
        (
            "Clickstream",
            "DbtBuildFailed",
            ("Stack", "${AWS::StackName}"),
            "GreaterThanOrEqualToThreshold",
            1,
        ),
    ],
)
def test_an_alarm_watches_each_signal_and_tells_the_topic(
    template, namespace, metric, dimension, comparison, threshold
) -> None:
    matching = [
        alarm
        for alarm in alarms_on(template, namespace, metric)
        if {"Name": dimension[0], "Value": dimension[1]} in alarm["Dimensions"]
    ]
    assert len(matching) == 1, f"no single alarm on {namespace} {metric} {dimension}"
    alarm = matching[0]
    assert alarm["ComparisonOperator"] == comparison
    assert alarm["Threshold"] == threshold
    assert alarm["AlarmActions"] == ["${AlarmTopic}"]


def test_freshness_alarm_pages_when_the_instance_goes_silent(template) -> None:
    (alarm,) = alarms_on(template, "Clickstream", "DataFreshnessMinutes")
    assert alarm["TreatMissingData"] == "breaching"


def test_instance_metrics_alarmed_on_are_the_ones_the_instance_publishes(template) -> None:
    after_load = module_from_file(PROJECT_ROOT / "infra" / "ec2" / "after_load.py", "after_load")
    published = set(after_load.UNITS)
    alarmed = {
        alarm["Properties"]["MetricName"]
        for alarm in resources(template, "AWS::CloudWatch::Alarm").values()
        if alarm["Properties"]["Namespace"] == "Clickstream"
        and {"Name": "Stack", "Value": {"Ref": "AWS::StackName"}}
        in alarm["Properties"]["Dimensions"]
    }
    assert alarmed == published
    assert after_load.Settings.from_env().namespace == "Clickstream"


def test_loader_failure_metric_alarmed_on_is_the_one_the_loader_publishes(template) -> None:
    (alarm,) = alarms_on(template, "Clickstream", "ObjectsFailed")
    assert alarm["Dimensions"] == [{"Name": "service", "Value": "loader"}]
    handler = (PROJECT_ROOT / "loader" / "handler.py").read_text()
    assert 'Metrics(namespace="Clickstream", service="loader")' in handler
    assert '"ObjectsFailed"' in handler


def test_every_alarm_has_a_runbook_section(template) -> None:
    runbook = (PROJECT_ROOT / "docs" / "runbook.md").read_text()
    for name in resources(template, "AWS::CloudWatch::Alarm"):
        section = name.removesuffix("Alarm")
        assert f"### {section}" in runbook, f"docs/runbook.md has no '### {section}'"
        description = template["Resources"][name]["Properties"]["AlarmDescription"]
        assert f"runbook {section}" in description


def test_budget_alerts_reach_the_alarm_topic_which_budgets_may_publish_to(template) -> None:
    budget = render(properties(template, "MonthlyBudget"))
    assert budget["Budget"]["BudgetLimit"] == {"Amount": "${MonthlyBudgetUsd}", "Unit": "USD"}
    subscribers = [
        subscriber
        for notification in budget["NotificationsWithSubscribers"]
        for subscriber in notification["Subscribers"]
    ]
    assert subscribers and all(s["Address"] == "${AlarmTopic}" for s in subscribers)
    (statement,) = render(properties(template, "AlarmTopicPolicy"))["PolicyDocument"]["Statement"]
    assert "budgets.amazonaws.com" in statement["Principal"]["Service"]


# ---------------------------------------------------------------- dashboard


def test_dashboard_load_balancer_is_tls_only_and_signs_in_through_cognito(template) -> None:
    listener = properties(template, "DashboardListener")
    assert (listener["Protocol"], listener["Port"]) == ("HTTPS", 443)
    assert listener["SslPolicy"].startswith("ELBSecurityPolicy-TLS13")
    listeners = resources(template, "AWS::ElasticLoadBalancingV2::Listener")
    assert all(each["Properties"]["Protocol"] == "HTTPS" for each in listeners.values())
    cognito_first = listener["DefaultActions"]["Fn::If"][1][0]
    assert cognito_first["Type"] == "authenticate-cognito"
    for name in ("DashboardUserPool", "DashboardUserPoolClient", "DashboardUserPoolDomain"):
        assert template["Resources"][name]["Condition"] == "UsesCognitoSignIn"
    assert properties(template, "DashboardUserPool")["AdminCreateUserConfig"] == {
        "AllowAdminCreateUserOnly": True
    }


def test_an_open_cidr_without_sign_in_is_refused_by_a_template_rule(template) -> None:
    rule = template["Rules"]["DashboardIsNeverOpenWithoutSignIn"]
    assert rule["RuleCondition"] == {"Fn::Equals": [{"Ref": "DashboardAuth"}, "cidr"]}
    open_to_all = {"Fn::Equals": [{"Ref": "DashboardAllowedCidr"}, "0.0.0.0/0"]}
    assert rule["Assertions"][0]["Assert"] == {"Fn::Not": [open_to_all]}


# ---------------------------------------------------------------- edge (WAF in us-east-1)


def edge_rules(edge: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Rules by name; an optional rule (`Fn::If` on UsesBotControl) by its enabled branch."""
    rules = {}
    for entry in edge["Resources"]["WebAcl"]["Properties"]["Rules"]:
        rule = entry
        if "Fn::If" in entry:
            condition, rule, _ = entry["Fn::If"]
            assert condition == "UsesBotControl"
        rules[rule["Name"]] = rule
    return rules


def test_edge_web_acl_rate_limits_the_collector_per_ip(edge) -> None:
    acl = edge["Resources"]["WebAcl"]["Properties"]
    assert acl["Scope"] == "CLOUDFRONT"
    rules = edge_rules(edge)
    rate = rules["collector-rate-per-ip"]
    assert rate["Action"] == {"Block": {}}
    statement = rate["Statement"]["RateBasedStatement"]
    assert statement["AggregateKeyType"] == "IP"
    match = statement["ScopeDownStatement"]["ByteMatchStatement"]
    assert (match["PositionalConstraint"], render(match["SearchString"])) == (
        "STARTS_WITH",
        "${CollectorPath}",
    )
    assert edge["Parameters"]["CollectorPath"]["Default"] == "/v1/events"


def test_edge_body_inspection_and_bot_rules_never_see_the_collector(edge) -> None:
    rules = edge_rules(edge)
    for name, group in [
        ("common-rules-except-collector", "AWSManagedRulesCommonRuleSet"),
        ("bot-control-except-collector", "AWSManagedRulesBotControlRuleSet"),
    ]:
        statement = rules[name]["Statement"]["ManagedRuleGroupStatement"]
        assert statement["Name"] == group
        excluded = statement["ScopeDownStatement"]["NotStatement"]["Statement"]
        assert render(excluded["ByteMatchStatement"]["SearchString"]) == "${CollectorPath}"
    assert edge["Parameters"]["EnableBotControl"]["Default"] == "false"

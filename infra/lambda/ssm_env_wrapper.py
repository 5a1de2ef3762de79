#!/usr/bin/env python3
"""Lambda exec wrapper: secrets from Parameter Store into the environment, then the runtime.

Set as `AWS_LAMBDA_EXEC_WRAPPER=/var/task/ssm_env_wrapper.py`. Before the Python runtime
starts, every variable `NAME_SSM_PARAMETER=/path/in/parameter/store` becomes
`NAME=<its decrypted value>`; then the wrapper execs the runtime's own command line.
Code that reads a secret from its environment (the ingest API's
`CLICKSTREAM_USER_ID_SALT`) gets it without the value ever sitting in the function's
configuration, where anyone allowed to read the function could see it.

If a parameter cannot be read the wrapper exits non-zero with the parameter's name, the
function fails to initialise and the request gets a 5xx (the SDK retries) rather than
events hashed with a missing salt.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping

SUFFIX = "_SSM_PARAMETER"
# GetParameters takes at most ten names per call.
BATCH = 10

Fetch = Callable[[list[str]], tuple[dict[str, str], list[str]]]


class ParameterError(RuntimeError):
    """A parameter is missing or unreadable; the message names it."""


def requested(environ: Mapping[str, str]) -> dict[str, str]:
    """Variable to set → parameter name, from every `*_SSM_PARAMETER` variable."""
    return {
        name.removesuffix(SUFFIX): value.strip()
        for name, value in environ.items()
        if name.endswith(SUFFIX) and name != SUFFIX and value.strip()
    }


def fetch_from_ssm(names: list[str]) -> tuple[dict[str, str], list[str]]:
    import boto3  # provided by the Lambda runtime

    client = boto3.client("ssm")
    values: dict[str, str] = {}
    invalid: list[str] = []
    for start in range(0, len(names), BATCH):
        response = client.get_parameters(Names=names[start : start + BATCH], WithDecryption=True)
        values.update({item["Name"]: item["Value"] for item in response["Parameters"]})
        invalid.extend(response["InvalidParameters"])
    return values, invalid


def resolve(environ: Mapping[str, str], fetch: Fetch = fetch_from_ssm) -> dict[str, str]:
    wanted = requested(environ)
    if not wanted:
        return {}
    values, invalid = fetch(sorted(set(wanted.values())))
    missing = sorted(set(invalid) | (set(wanted.values()) - set(values)))
    if missing:
        raise ParameterError(
            f"Parameter Store has no {', '.join(missing)} readable by this function; "
            "create it (infra/create-secrets.sh) or fix the *_SSM_PARAMETER variable"
        )
    return {variable: values[parameter] for variable, parameter in wanted.items()}


def main(argv: list[str]) -> None:
    if len(argv) < 2:
        sys.exit("ssm_env_wrapper: usage: ssm_env_wrapper.py RUNTIME_COMMAND [ARGS...]")
    try:
        os.environ.update(resolve(os.environ))
    except Exception as error:  # any failure must stop the start, with its reason
        sys.exit(f"ssm_env_wrapper: {error}")
    os.execv(argv[1], argv[1:])  # noqa: S606 - the runtime's own command line


if __name__ == "__main__":
    main(sys.argv)

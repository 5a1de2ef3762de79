"""infra/package.py: the two Lambda zips, built from PyPI wheels for the Lambda platform.

The zips are built twice, by the real command line: for the template's platform (arm64,
Python 3.12), to check the binaries are the ones Lambda loads, and for this machine's
platform (same code path, other `--platform` tags), so that each handler can be unpacked
and invoked in a fresh `python -I -S` that sees only the zip and boto3, the one library the
Lambda runtime provides. Wheels come from the git-ignored cache `build/infra/wheel-cache`:
the first run downloads them, later runs are offline.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import hmac
import json
import os
import platform
import re
import subprocess
import sys
import uuid
import zipfile
from pathlib import Path
from typing import Any

import boto3
import pytest
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.conftest import Warehouse
from tests.infra.cfn import TEMPLATE, load, module_from_file

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PACKAGE_SCRIPT = PROJECT_ROOT / "infra" / "package.py"
RUNNER = Path(__file__).with_name("lambda_runner.py")
WHEEL_CACHE = PROJECT_ROOT / "build" / "infra" / "wheel-cache"
HOST_PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"
HOST_ARCH = {"x86_64": "x86_64", "aarch64": "arm64"}[platform.machine()]
EXTENSION_MODULE = re.compile(r"\.(cpython-[^./]+|abi3)\.so$")
ELF_MACHINE = {"arm64": 183, "x86_64": 62}  # e_machine: EM_AARCH64, EM_X86_64
# Lambda's limits on a function's deployment package.
MAX_ZIPPED_BYTES = 50 * 1024 * 1024
MAX_UNZIPPED_BYTES = 250 * 1024 * 1024
PROJECT_PACKAGES = ("ingest", "loader", "shared")
SITE = "https://shop.example"
WRITE_KEY = "pk_test_packaged"
SALT_PARAMETER = "/clickstream-test/ingest/user-id-salt"
SALT = "salt-from-parameter-store"


PACKAGE = module_from_file(PACKAGE_SCRIPT, "infra_package")


def build_zips(out: Path, *target: str, only: tuple[str, ...] = ("ingest", "loader")):
    command = [sys.executable, str(PACKAGE_SCRIPT), "--only", *only, "--out", str(out)]
    subprocess.run([*command, *target], check=True, timeout=600)
    return {name: out / f"{name}-lambda.zip" for name in only}


@pytest.fixture(scope="module")
def lambda_platform_zips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Built with the defaults: what `infra/deploy.sh` uploads."""
    return build_zips(tmp_path_factory.mktemp("lambda-platform"))


@pytest.fixture(scope="module")
def host_zips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("host-platform")
    return build_zips(out, "--arch", HOST_ARCH, "--python-version", HOST_PYTHON)


@pytest.fixture(scope="module")
def runtime_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What the Lambda Python runtime provides besides the standard library: boto3."""
    folder = tmp_path_factory.mktemp("lambda-runtime")
    target = PACKAGE.Target(HOST_ARCH, HOST_PYTHON)
    PACKAGE.install_wheels(["boto3"], target, folder, WHEEL_CACHE)
    return folder


def unpack(archive: Path, destination: Path) -> Path:
    with zipfile.ZipFile(archive) as handle:
        handle.extractall(destination)
    return destination


def invoke(task: Path, runtime: Path, handler: str, event: dict, env: dict, tmp: Path) -> dict:
    """The handler's response and loaded modules, from a fresh isolated interpreter."""
    event_path, result_path = tmp / "event.json", tmp / "result.json"
    event_path.write_text(json.dumps(event))
    command = [sys.executable, "-I", "-S", str(RUNNER), str(task), str(runtime), handler]
    command += [str(event_path), str(result_path)]
    if (task / "ssm_env_wrapper.py").is_file():
        # What AWS_LAMBDA_EXEC_WRAPPER does: the wrapper runs first, then execs the runtime.
        command = [sys.executable, str(task / "ssm_env_wrapper.py"), *command]
    completed = subprocess.run(
        command, check=False, env=env, capture_output=True, text=True, timeout=120
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    return json.loads(result_path.read_text())


def zip_entries(archive: Path) -> list[zipfile.ZipInfo]:
    with zipfile.ZipFile(archive) as handle:
        return handle.infolist()


def distributions(archive: Path) -> dict[str, dict[str, Any]]:
    """Canonical name → requirements and the top-level entries its RECORD installs."""
    found: dict[str, dict[str, Any]] = {}
    with zipfile.ZipFile(archive) as handle:
        for name in handle.namelist():
            if not name.endswith(".dist-info/METADATA"):
                continue
            info = name.rsplit("/", 1)[0]
            metadata = handle.read(name).decode()
            distribution = next(
                line.split(":", 1)[1].strip()
                for line in metadata.splitlines()
                if line.startswith("Name:")
            )
            requires = [
                line.split(":", 1)[1].strip()
                for line in metadata.splitlines()
                if line.startswith("Requires-Dist:")
            ]
            record = handle.read(f"{info}/RECORD").decode()
            tops = {line.split(",", 1)[0].split("/", 1)[0] for line in record.splitlines()}
            found[canonicalize_name(distribution)] = {"requires": requires, "tops": tops}
    return found


def reachable(roots: list[str], found: dict[str, dict[str, Any]]) -> set[str]:
    """Distributions the roots need on this interpreter's platform, following Requires-Dist."""
    environment = default_environment()
    wanted: set[str] = set()
    queue = [(Requirement(root), "") for root in roots]
    while queue:
        requirement, extra = queue.pop()
        if requirement.marker and not requirement.marker.evaluate({**environment, "extra": extra}):
            continue
        name = canonicalize_name(requirement.name)
        if name in wanted or name not in found:
            continue
        wanted.add(name)
        for text in found[name]["requires"]:
            for chosen in requirement.extras or {""}:
                queue.append((Requirement(text), chosen))
    return wanted


# ---------------------------------------------------------------- platform


def test_packaging_defaults_are_the_template_runtime_and_architecture() -> None:
    defaults = PACKAGE.parse_arguments([])
    template = load(TEMPLATE)
    for function in ("IngestFunction", "LoaderFunction"):
        settings = template["Resources"][function]["Properties"]
        assert settings["Runtime"] == f"python{defaults.python_version}"
        assert settings["Architectures"] == [defaults.arch]
        handler = settings["Handler"]
        assert handler in {spec.handler for spec in PACKAGE.LAMBDAS.values()}


@pytest.mark.parametrize("name", ["ingest", "loader"])
def test_lambda_platform_zip_holds_only_linux_binaries_for_its_python_and_arch(
    lambda_platform_zips: dict[str, Path], name: str
) -> None:
    archive = lambda_platform_zips[name]
    with zipfile.ZipFile(archive) as handle:
        shared_objects = [entry for entry in handle.namelist() if ".so" in Path(entry).suffixes]
        extensions = [entry for entry in shared_objects if EXTENSION_MODULE.search(entry)]
        assert extensions, "compiled wheels (orjson, pydantic-core) were expected"
        for entry in shared_objects:
            header = handle.read(entry)[:20]
            assert header[:4] == b"\x7fELF", f"{entry} is not a Linux shared object"
            machine = int.from_bytes(header[18:20], "little")
            assert machine == ELF_MACHINE["arm64"], f"{entry} is not built for arm64"
            # Anything else is a library auditwheel vendored next to its extension.
            assert entry in extensions or ".libs/" in entry, f"{entry}: no Python ABI tag"
        for entry in extensions:
            tag = EXTENSION_MODULE.search(entry).group(1)
            assert tag in {"cpython-312-aarch64-linux-gnu", "abi3"}, f"{entry} is not for 3.12"


# ---------------------------------------------------------------- contents


@pytest.mark.parametrize("name", ["ingest", "loader"])
def test_zip_holds_the_handler_its_dependencies_and_nothing_else(
    host_zips: dict[str, Path], name: str
) -> None:
    spec = PACKAGE.LAMBDAS[name]
    archive = host_zips[name]
    entries = zip_entries(archive)
    names = [entry.filename for entry in entries]
    assert {entry.date_time for entry in entries} == {(1980, 1, 1, 0, 0, 0)}
    assert sum(entry.file_size for entry in entries) < MAX_UNZIPPED_BYTES
    assert archive.stat().st_size < MAX_ZIPPED_BYTES
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]

    found = distributions(archive)
    roots = PACKAGE.pinned_requirements(spec.requirements, PROJECT_ROOT / "pyproject.toml")
    needed = reachable(roots, found)
    assert set(found) == needed, f"not needed by {spec.requirements}: {set(found) - needed}"
    assert not set(found) & {"boto3", "botocore", "s3transfer"}, "the runtime provides boto3"

    executables = {Path(executable).name for executable in spec.executables}
    accounted = set(spec.packages) | executables
    accounted |= {top for distribution in found.values() for top in distribution["tops"]}
    tops = {n.split("/", 1)[0] for n in names}
    assert tops <= accounted, f"unexpected entries: {tops - accounted}"
    for entry in entries:
        if entry.filename in executables:
            assert (entry.external_attr >> 16) & 0o111, f"{entry.filename} must be executable"


def test_a_rebuild_from_the_same_sources_gives_the_same_bytes(
    host_zips: dict[str, Path], tmp_path: Path
) -> None:
    """deploy.sh uploads under the zip's hash: a rebuild must not look like a new release."""
    target = ("--arch", HOST_ARCH, "--python-version", HOST_PYTHON)
    rebuilt = build_zips(tmp_path, *target, only=("ingest",))["ingest"]
    assert rebuilt.read_bytes() == host_zips["ingest"].read_bytes()


# ---------------------------------------------------------------- invoked from the zip


def apigw_event(body: dict) -> dict:
    fixture = PROJECT_ROOT / "tests" / "ingest" / "fixtures" / "apigw_v2_post_json.json"
    event = json.loads(fixture.read_text())
    event["headers"]["x-api-key"] = WRITE_KEY
    event["body"] = base64.b64encode(json.dumps(body).encode()).decode()
    event["isBase64Encoded"] = True
    return event


def project_modules(result: dict) -> set[str]:
    return {name for name in result["modules"] if name.split(".")[0] in PROJECT_PACKAGES}


def assert_loaded_only_from(result: dict, *folders: Path) -> None:
    allowed = (*(str(folder) for folder in folders), result["stdlib"])
    outside = {
        name: file
        for name, file in result["modules"].items()
        if not file.startswith(allowed) and file != str(RUNNER)
    }
    assert not outside, f"imported from outside the zip and the runtime: {outside}"


def packaged_project_modules(task: Path) -> set[str]:
    return {
        ".".join(path.relative_to(task).with_suffix("").parts).removesuffix(".__init__")
        for package in PROJECT_PACKAGES
        for path in (task / package).rglob("*.py")
    }


def test_packaged_ingest_lands_an_event_that_the_packaged_loader_loads(
    host_zips: dict[str, Path],
    runtime_dir: Path,
    aws: str,
    warehouse: Warehouse,
    tmp_path: Path,
) -> None:
    boto3.client("s3").create_bucket(Bucket="packaged-raw")
    boto3.client("ssm").put_parameter(Name=SALT_PARAMETER, Value=SALT, Type="SecureString")
    event_id = str(uuid.uuid4())
    client_event = {
        "event_id": event_id,
        "ts": "2026-11-23T10:15:00+00:00",
        "event_type": "view",
        "session_id": "s-packaged",
        "anonymous_id": "a-packaged",
        "user_id": "customer-42",
        "page_url": f"{SITE}/p/laptop-14",
    }
    base_env = {**dict(os.environ), "CLICKSTREAM_LAKE": "s3://packaged-raw"}
    ingest_env = {
        **base_env,
        "INGEST_ALLOWED_ORIGINS": SITE,
        "INGEST_WRITE_KEYS": WRITE_KEY,
        # Resolved into CLICKSTREAM_USER_ID_SALT by the zip's exec wrapper.
        "CLICKSTREAM_USER_ID_SALT_SSM_PARAMETER": SALT_PARAMETER,
    }
    ingest_task = unpack(host_zips["ingest"], tmp_path / "ingest-task")
    ingested = invoke(
        ingest_task,
        runtime_dir,
        "ingest.handler.lambda_handler",
        apigw_event(client_event),
        ingest_env,
        tmp_path,
    )

    assert ingested["response"]["statusCode"] == 202, ingested["response"]["body"]
    assert_loaded_only_from(ingested, ingest_task, runtime_dir)
    assert project_modules(ingested) == packaged_project_modules(ingest_task)
    listing = boto3.client("s3").list_objects_v2(Bucket="packaged-raw")["Contents"]
    assert [item["Key"].split("/")[0] for item in listing] == ["raw"]
    body = boto3.client("s3").get_object(Bucket="packaged-raw", Key=listing[0]["Key"])["Body"]
    (line,) = gzip.decompress(body.read()).splitlines()
    landed = json.loads(line)
    expected_hash = hmac.new(SALT.encode(), b"customer-42", hashlib.sha256).hexdigest()
    assert (landed["event_id"], landed["user_id"]) == (event_id, expected_hash)

    loader_task = unpack(host_zips["loader"], tmp_path / "loader-task")
    scheduled = json.loads(
        (
            PROJECT_ROOT / "tests" / "loader" / "fixtures" / "eventbridge_scheduled_event.json"
        ).read_text()
    )
    loader_env = {**base_env, "LOADER_DATABASE_URL": warehouse.url("loader")}
    loaded = invoke(
        loader_task, runtime_dir, "loader.handler.lambda_handler", scheduled, loader_env, tmp_path
    )

    summary = loaded["response"]
    assert (summary["status"], summary["objects_loaded"], summary["rows_loaded"]) == (
        "succeeded",
        1,
        1,
    )
    assert_loaded_only_from(loaded, loader_task, runtime_dir)
    assert project_modules(loaded) == packaged_project_modules(loader_task)
    stored = warehouse.query("select payload->>'event_id', object_key from raw.events")
    assert stored == [(event_id, listing[0]["Key"])]


def test_exec_wrapper_refuses_to_start_when_the_salt_parameter_is_missing(
    host_zips: dict[str, Path], aws: str, tmp_path: Path
) -> None:
    task = unpack(host_zips["ingest"], tmp_path / "task")
    env = {
        **dict(os.environ),
        "CLICKSTREAM_USER_ID_SALT_SSM_PARAMETER": "/clickstream-test/ingest/absent",
    }
    command = [sys.executable, str(task / "ssm_env_wrapper.py"), sys.executable, "-c", "pass"]
    completed = subprocess.run(
        command, check=False, env=env, capture_output=True, text=True, timeout=60
    )
    assert completed.returncode != 0
    assert "/clickstream-test/ingest/absent" in completed.stderr

"""Build the deployment artifacts without Docker: two Lambda zips and the instance bundle.

    python infra/package.py                      # everything, for arm64 / Python 3.12
    python infra/package.py --only ingest loader --arch x86_64 --python-version 3.11

A Lambda zip holds the project modules its handler imports (followed from the handler's
import statements, so `ingest.asgi` and Starlette never ship) and the function's runtime
dependencies as pip installs them for the Lambda platform (`--platform manylinux…
--only-binary=:all:`, so no compiler and no Docker are needed). boto3 is left to the
Lambda runtime. Zips are deterministic: same sources and wheels, same bytes.

Wheels are kept in a cache folder (default `build/infra/wheel-cache`, git-ignored) and
installed from it offline; PyPI is asked only for what the cache does not hold yet.

The instance bundle (`instance-<hash>.tar.gz`) holds `app/` (the project's files, including
the dbt project) and `wheels/` (every wheel the project needs on the instance's platform);
`infra/ec2/bootstrap.sh` installs it offline, since the instance has no internet route.

`manifest.json` beside the artifacts names each file, its SHA-256 and the content-addressed
S3 key `infra/deploy.sh` uploads it under.
"""

from __future__ import annotations

import argparse
import ast
import gzip
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import tomllib
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = PROJECT_ROOT / "build" / "infra"
DEFAULT_WHEEL_CACHE = DEFAULT_OUT / "wheel-cache"
# 1980-01-01 is the earliest time a zip entry can carry.
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
# The Lambda Python runtimes and the instance run Amazon Linux: 3.11 on AL2 (glibc 2.26),
# 3.12 and later on AL2023 (glibc 2.34). Wheels tagged for a newer glibc would not load.
GLIBC_MINOR = {"3.11": 26, "3.12": 34, "3.13": 34}
ARCHES = {"arm64": "aarch64", "x86_64": "x86_64"}
# Provided by every Lambda Python runtime; a bundled copy would only add weight and drift.
RUNTIME_PROVIDED = ("boto3", "botocore", "s3transfer")


class PackagingError(RuntimeError):
    """An artifact cannot be built; the message says which and why."""


@dataclass(frozen=True)
class LambdaSpec:
    name: str
    handler: str
    # Project packages the handler's imports may be followed into.
    packages: tuple[str, ...]
    # Distribution names; the version ranges come from pyproject.toml so they never drift.
    requirements: tuple[str, ...]
    # Executables placed at the zip's root (the template's AWS_LAMBDA_EXEC_WRAPPER).
    executables: tuple[str, ...] = ()


LAMBDAS = {
    "ingest": LambdaSpec(
        name="ingest",
        handler="ingest.handler.lambda_handler",
        packages=("ingest", "shared"),
        requirements=("pydantic", "orjson", "ua-parser", "aws-lambda-powertools"),
        executables=("infra/lambda/ssm_env_wrapper.py",),
    ),
    "loader": LambdaSpec(
        name="loader",
        handler="loader.handler.lambda_handler",
        packages=("loader", "shared"),
        # pydantic and ua-parser: loader.lines imports shared.contract and shared.enrichment.
        requirements=("psycopg", "orjson", "pydantic", "ua-parser", "aws-lambda-powertools"),
    ),
}


@dataclass(frozen=True)
class Target:
    """The platform wheels are chosen for."""

    arch: str
    python_version: str

    def platform_tags(self) -> list[str]:
        machine = ARCHES[self.arch]
        newest = GLIBC_MINOR[self.python_version]
        return [f"manylinux2014_{machine}"] + [
            f"manylinux_2_{minor}_{machine}" for minor in range(17, newest + 1)
        ]

    def pip_platform_arguments(self) -> list[str]:
        arguments = ["--implementation", "cp", "--python-version", self.python_version]
        arguments += ["--only-binary=:all:"]
        for tag in self.platform_tags():
            arguments += ["--platform", tag]
        return arguments


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pinned_requirements(names: tuple[str, ...], pyproject: Path) -> list[str]:
    """The project's own requirement strings (extras and ranges) for these distributions."""
    declared = tomllib.loads(pyproject.read_text())["project"]["dependencies"]
    by_name = {canonical(re.split(r"[\[<>=!~;\s]", item, maxsplit=1)[0]): item for item in declared}
    missing = [name for name in names if canonical(name) not in by_name]
    if missing:
        listed = ", ".join(missing)
        raise PackagingError(f"{listed} not in {pyproject}'s dependencies; add it there")
    return [by_name[canonical(name)] for name in names]


def pip(*arguments: str) -> None:
    command = [sys.executable, "-m", "pip", *arguments]
    result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise PackagingError(
            f"pip failed ({' '.join(arguments[:2])} …):\n{result.stderr.strip()[-3000:]}"
        )


def pip_from_cache(
    command: list[str], requirements: list[str], target: Target, cache: Path
) -> None:
    """A pip command offline from the wheel cache; on a miss, fill the cache from PyPI first."""
    offline = [
        *command,
        "--quiet",
        "--no-index",
        "--find-links",
        str(cache),
        *target.pip_platform_arguments(),
        *requirements,
    ]
    try:
        pip(*offline)
    except PackagingError:
        fill_wheel_cache(requirements, target, cache)
        pip(*offline)


def install_wheels(requirements: list[str], target: Target, destination: Path, cache: Path) -> None:
    """Install for the target platform into a folder (a Lambda zip's root)."""
    command = ["install", "--no-compile", "--target", str(destination)]
    pip_from_cache(command, requirements, target, cache)


def fill_wheel_cache(requirements: list[str], target: Target, cache: Path) -> None:
    cache.mkdir(parents=True, exist_ok=True)
    platform_arguments = target.pip_platform_arguments()
    pip("download", "--quiet", "--dest", str(cache), *platform_arguments, *requirements)


def module_file(name: str, root: Path) -> Path | None:
    base = root.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def imported_names(path: Path, module: str) -> set[str]:
    """Every module an import statement in the file names, lazy imports included.

    `from a import b` yields `a` and `a.b`: b may be a submodule or just a name in a.
    """
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_bytes(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def handler_modules(spec: LambdaSpec, root: Path) -> list[Path]:
    """The project files the handler needs: its module and, transitively, what it imports
    from `spec.packages`, with every parent package's `__init__.py`."""
    handler_module = spec.handler.rsplit(".", 1)[0]
    if module_file(handler_module, root) is None:
        raise PackagingError(f"{spec.handler}: module {handler_module} is missing from {root}")
    found: set[Path] = set()
    queue = [handler_module]
    while queue:
        parts = queue.pop().split(".")
        if parts[0] not in spec.packages:
            continue
        for depth in range(1, len(parts) + 1):
            module = ".".join(parts[:depth])
            path = module_file(module, root)
            if path is not None and path not in found:
                found.add(path)
                queue.extend(imported_names(path, module))
    return sorted(found)


def stage_lambda(spec: LambdaSpec, target: Target, stage: Path, root: Path, cache: Path) -> None:
    requirements = pinned_requirements(spec.requirements, root / "pyproject.toml")
    install_wheels(requirements, target, stage, cache)
    for entry in stage.iterdir():
        top = canonical(entry.name.split("-", 1)[0])
        if top in RUNTIME_PROVIDED or entry.name == "bin":  # bin/: console scripts, unused
            shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
    for source in handler_modules(spec, root):
        placed = stage / source.relative_to(root)
        placed.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, placed)
    for executable in spec.executables:
        placed = stage / Path(executable).name
        shutil.copyfile(root / executable, placed)
        placed.chmod(0o755)


def files_in_order(folder: Path) -> Iterator[Path]:
    for path in sorted(folder.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            yield path


def write_deterministic_zip(folder: Path, destination: Path) -> None:
    """Sorted entries, fixed timestamps and modes: the bytes depend on content only."""
    with zipfile.ZipFile(destination, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in files_in_order(folder):
            info = zipfile.ZipInfo(path.relative_to(folder).as_posix(), date_time=ZIP_EPOCH)
            mode = 0o755 if path.stat().st_mode & 0o111 else 0o644
            info.external_attr = (0o100000 | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes(), compresslevel=9)


def build_lambda(spec: LambdaSpec, target: Target, out: Path, root: Path, cache: Path) -> Path:
    destination = out / f"{spec.name}-lambda.zip"
    with tempfile.TemporaryDirectory(prefix=f"{spec.name}-lambda-") as temp:
        stage = Path(temp)
        stage_lambda(spec, target, stage, root, cache)
        write_deterministic_zip(stage, destination)
    return destination


def project_files(root: Path) -> list[Path]:
    """Tracked and new (not ignored) files of the checkout: what the instance runs."""
    try:
        listing = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],  # noqa: S607
            cwd=root,
            capture_output=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        raise PackagingError(f"{root} must be a git checkout to build the bundle: {exc}") from exc
    names = sorted({name for name in listing.decode().split("\0") if name})
    return [root / name for name in names if (root / name).is_file()]


def tar_filter(info: tarfile.TarInfo) -> tarfile.TarInfo:
    info.mtime = 0
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    return info


def project_dependencies(pyproject: Path) -> list[str]:
    return list(tomllib.loads(pyproject.read_text())["project"]["dependencies"])


def collect_wheels(requirements: list[str], target: Target, destination: Path, cache: Path) -> None:
    """Exactly the wheels the requirements resolve to on the target platform."""
    pip_from_cache(["download", "--dest", str(destination)], requirements, target, cache)


def build_instance_bundle(target: Target, out: Path, root: Path, cache: Path) -> Path:
    with tempfile.TemporaryDirectory(prefix="instance-bundle-") as temp:
        wheels = Path(temp) / "wheels"
        requirements = project_dependencies(root / "pyproject.toml")
        # The editable install of app/ on the instance builds with these, offline.
        collect_wheels([*requirements, "setuptools>=69", "wheel"], target, wheels, cache)
        staging = out / "instance-bundle.tar.gz"
        with (
            staging.open("wb") as raw,
            gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as zipped,
            tarfile.open(fileobj=zipped, mode="w", format=tarfile.PAX_FORMAT) as archive,
        ):
            for path in project_files(root):
                archive.add(path, f"app/{path.relative_to(root).as_posix()}", filter=tar_filter)
            for path in sorted(wheels.iterdir()):
                archive.add(path, f"wheels/{path.name}", filter=tar_filter)
    digest = sha256(staging)
    destination = out / f"instance-{digest[:16]}.tar.gz"
    staging.replace(destination)
    return destination


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def artifact_entry(path: Path, key: str, target: Target) -> dict[str, str]:
    return {
        "file": str(path),
        "sha256": sha256(path),
        "key": key,
        "platform": f"{target.arch}/cp{target.python_version.replace('.', '')}",
    }


def build(
    only: list[str],
    out: Path,
    target: Target,
    instance_target: Target,
    root: Path,
    cache: Path = DEFAULT_WHEEL_CACHE,
) -> dict[str, dict[str, str]]:
    out.mkdir(parents=True, exist_ok=True)
    manifest_path = out / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.is_file() else {}
    for name in only:
        if name == "instance":
            for stale in out.glob("instance-*.tar.gz"):
                stale.unlink()
            path = build_instance_bundle(instance_target, out, root, cache)
            # The bundle's name already carries its hash.
            manifest[name] = artifact_entry(path, f"instance/{path.name}", instance_target)
        else:
            path = build_lambda(LAMBDAS[name], target, out, root, cache)
            key = f"lambda/{name}-{sha256(path)[:16]}.zip"
            manifest[name] = artifact_entry(path, key, target)
        print(f"{name}: {path} ({path.stat().st_size / 1e6:.1f} MB)")  # noqa: T201 - CLI output
    manifest_path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return manifest


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--only",
        nargs="+",
        choices=[*LAMBDAS, "instance"],
        default=[*LAMBDAS, "instance"],
        help="which artifacts to build (default: all)",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder")
    parser.add_argument(
        "--wheel-cache",
        type=Path,
        default=DEFAULT_WHEEL_CACHE,
        help="folder of downloaded wheels, reused offline (default: %(default)s)",
    )
    parser.add_argument("--arch", choices=sorted(ARCHES), default="arm64")
    parser.add_argument(
        "--python-version",
        choices=sorted(GLIBC_MINOR),
        default="3.12",
        help="Lambda runtime's Python (default 3.12, the template's runtime)",
    )
    parser.add_argument(
        "--instance-python-version",
        choices=sorted(GLIBC_MINOR),
        default="3.12",
        help="Python of the instance's venv (Amazon Linux 2023's python3.12)",
    )
    parser.add_argument("--project-root", type=Path, default=PROJECT_ROOT, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_arguments(argv)
    try:
        build(
            args.only,
            args.out.resolve(),
            Target(args.arch, args.python_version),
            Target(args.arch, args.instance_python_version),
            args.project_root.resolve(),
            args.wheel_cache.resolve(),
        )
    except PackagingError as error:
        print(f"package: error: {error}", file=sys.stderr)  # noqa: T201 - CLI output
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The shell that runs on a deploy or on the instance: the user-data (cloud-init) script
rendered from the template, every shell script in the repository, and the systemd units
that call them. `bash -n` and shellcheck on each; the units point at files that exist."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.infra.cfn import TEMPLATE, load, render_sub

PROJECT_ROOT = Path(__file__).resolve().parents[2]
INFRA = PROJECT_ROOT / "infra"
UNITS = INFRA / "ec2" / "systemd"
SHELL_SCRIPTS = sorted([*INFRA.rglob("*.sh"), *(PROJECT_ROOT / "scripts").glob("*.sh")])
SHELLCHECK = shutil.which("shellcheck")


def user_data_script(tmp_path: Path) -> Path:
    """The DataInstance's user data as cloud-init receives it, with sample stack values."""
    instance = load(TEMPLATE)["Resources"]["DataInstance"]["Properties"]
    text = instance["UserData"]["Fn::Base64"]["Fn::Sub"]
    rendered = render_sub(text, {"ParameterPrefix": "/clickstream", "AWS::Region": "us-east-1"})
    assert "${" not in rendered.replace("${!", ""), "every template variable is substituted"
    path = tmp_path / "user-data.sh"
    path.write_text(rendered)
    return path


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, check=False, timeout=60)


def assert_clean(path: Path) -> None:
    syntax = run("bash", "-n", str(path))
    assert syntax.returncode == 0, f"bash -n {path}:\n{syntax.stderr}"
    assert SHELLCHECK, "shellcheck is missing: run scripts/install-system-deps.sh"
    lint = run(SHELLCHECK, "--shell=bash", "--severity=style", "--external-sources", str(path))
    assert lint.returncode == 0, f"shellcheck {path}:\n{lint.stdout}"


def test_every_shell_script_is_found() -> None:
    names = {path.relative_to(PROJECT_ROOT).as_posix() for path in SHELL_SCRIPTS}
    assert {"infra/deploy.sh", "infra/ec2/bootstrap.sh", "infra/ec2/backup.sh"} <= names


@pytest.mark.parametrize(
    "path", SHELL_SCRIPTS, ids=lambda path: path.relative_to(PROJECT_ROOT).as_posix()
)
def test_shell_script_passes_bash_n_and_shellcheck(path: Path) -> None:
    assert path.read_text().startswith("#!/usr/bin/env bash\n"), f"{path} needs a bash shebang"
    assert_clean(path)


def test_cloud_init_user_data_is_a_bash_script_that_passes_bash_n_and_shellcheck(
    tmp_path: Path,
) -> None:
    script = user_data_script(tmp_path)
    # cloud-init runs user data as a program only when it starts with a shebang.
    assert script.read_text().startswith("#!/bin/bash\n")
    assert "set -euo pipefail" in script.read_text()
    assert_clean(script)


def test_user_data_hands_over_to_the_bootstrap_script_that_exists() -> None:
    text = load(TEMPLATE)["Resources"]["DataInstance"]["Properties"]["UserData"]
    (release_path,) = re.findall(r'bash "\$release/app/([^"]+)"', text["Fn::Base64"]["Fn::Sub"])
    assert (PROJECT_ROOT / release_path).is_file(), release_path


def exec_lines() -> list[tuple[str, list[str]]]:
    return [
        (unit.name, line.split("=", 1)[1].split())
        for unit in sorted(UNITS.glob("*.service"))
        for line in unit.read_text().splitlines()
        if line.startswith("ExecStart=")
    ]


@pytest.mark.parametrize(("unit", "command"), exec_lines())
def test_every_unit_runs_files_the_bootstrap_installs_or_the_release_ships(
    unit: str, command: list[str]
) -> None:
    bootstrap = (INFRA / "ec2" / "bootstrap.sh").read_text()
    installed = re.findall(r"install -m 0755 \"\$CURRENT/app/([^\"]+)\" (\S+)", bootstrap)
    sources = {target: source for source, target in installed}
    program = command[0]
    if program.startswith("/usr/local/sbin/"):
        assert program in sources, f"{unit}: bootstrap.sh never installs {program}"
        assert (PROJECT_ROOT / sources[program]).is_file()
    elif program.startswith("/opt/clickstream/current/venv/bin/"):
        pass  # the release's own virtualenv (bootstrap.sh install_release)
    else:
        assert program == "/usr/bin/python3", f"{unit}: unexpected program {program}"
    for argument in command[1:]:
        if argument.startswith("/opt/clickstream/current/app/"):
            shipped = PROJECT_ROOT / argument.removeprefix("/opt/clickstream/current/app/")
            assert shipped.is_file(), f"{unit}: {argument} is not in the project"


def test_every_timer_starts_a_unit_that_exists() -> None:
    for timer in UNITS.glob("*.timer"):
        service = UNITS / timer.name.replace(".timer", ".service")
        assert service.is_file(), f"{timer.name} has no {service.name}"
        bootstrap = (INFRA / "ec2" / "bootstrap.sh").read_text()
        assert timer.name in bootstrap, f"bootstrap.sh never enables {timer.name}"


def test_the_backup_runs_daily_into_the_prefix_the_instance_may_write() -> None:
    timer = (UNITS / "clickstream-backup.timer").read_text()
    assert re.search(r"^OnCalendar=\*-\*-\* \d\d:\d\d:\d\d UTC$", timer, re.MULTILINE)
    assert "Persistent=true" in timer, "a backup missed while the instance was off runs at boot"
    backup = (INFRA / "ec2" / "backup.sh").read_text()
    assert 'prefix="s3://$BACKUP_BUCKET/postgres/' in backup
    role = load(TEMPLATE)["Resources"]["InstanceRole"]["Properties"]["Policies"][0]
    (statement,) = [s for s in role["PolicyDocument"]["Statement"] if s["Sid"] == "Backups"]
    assert statement["Resource"] == {"Fn::Sub": "${BackupBucket.Arn}/postgres/*"}
    assert "s3:PutObject" in statement["Action"]

"""The hand-made marts the dashboard is tested on are the marts a real `dbt build` makes:
every table and column of marts_fixture.sql exists in the dbt project, with a compatible
type. The project's side is read from its enforced contracts (models/marts/*.yml, whose
types dbt checks at build time) and, for marts.dbt_invocations, which the on-run hooks
create, from the hook's `create table`. Cheap: no build."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from tests.conftest import PROJECT_ROOT, Warehouse

MARTS_FOLDER = PROJECT_ROOT / "models" / "marts"
INVOCATION_LOG_MACRO = PROJECT_ROOT / "macros" / "invocation_log.sql"
# Types the dashboard reads alike: it casts every sum and figure it reads (::bigint,
# ::float8), so any width of integer, or any exact or floating number, will do.
FAMILIES = {
    "smallint": "integer",
    "integer": "integer",
    "bigint": "integer",
    "numeric": "number",
    "double precision": "number",
    "real": "number",
    "text": "text",
    "character varying": "text",
    "date": "date",
    "timestamp with time zone": "timestamptz",
    "timestamptz": "timestamptz",
    "boolean": "boolean",
}
ALSO_ACCEPTED = {"number": {"integer"}}  # a whole-number column can stand in for a decimal


def family(data_type: str) -> str:
    base = re.sub(r"\(.*\)", "", data_type.strip().lower()).strip()
    return FAMILIES.get(base, base)


def fixture_columns(warehouse: Warehouse) -> dict[str, dict[str, str]]:
    tables: dict[str, dict[str, str]] = {}
    for table, column, data_type in warehouse.query(
        "select table_name, column_name, data_type from information_schema.columns"
        " where table_schema = 'marts' order by table_name, ordinal_position"
    ):
        tables.setdefault(table, {})[column] = data_type
    return tables


def contract_columns() -> dict[str, dict[str, str]]:
    tables: dict[str, dict[str, str]] = {}
    for path in sorted(MARTS_FOLDER.glob("*.yml")):
        for model in (yaml.safe_load(path.read_text()) or {}).get("models", []):
            tables[model["name"]] = {
                column["name"]: column.get("data_type", "") for column in model.get("columns", [])
            }
    return tables


def invocation_log_columns() -> dict[str, str]:
    """The columns of the hook's `create table ... marts.dbt_invocations (...)`."""
    macro = INVOCATION_LOG_MACRO.read_text()
    body = re.search(r"create table if not exists[^(]*\((.*?)\n\s*\);", macro, re.DOTALL)
    assert body, f"{INVOCATION_LOG_MACRO} no longer creates marts.dbt_invocations"
    columns = {}
    for line in body.group(1).splitlines():
        match = re.match(
            r"\s*([a-z_]+)\s+([a-z ]+?)(?:\s+(?:not|primary|check|default)\b|,|$)", line
        )
        if match:
            columns[match.group(1)] = match.group(2).strip()
    return columns


def test_contracts_are_enforced_on_the_marts_folder() -> None:
    project = yaml.safe_load((PROJECT_ROOT / "dbt_project.yml").read_text())
    marts = project["models"]["clickstream"]["marts"]
    assert marts["+contract"]["enforced"] is True
    assert marts["+schema"] == "marts"


def interface_problems(
    fixture: dict[str, dict[str, str]], built: dict[str, dict[str, str]]
) -> list[str]:
    """What the dashboard's fixture has that the built marts lack, or type differently."""
    problems = []
    for table, columns in fixture.items():
        if table not in built:
            problems.append(f"marts.{table}: no such model in {MARTS_FOLDER.name}/*.yml")
            continue
        for column, fixture_type in columns.items():
            if column not in built[table]:
                problems.append(f"marts.{table}.{column}: missing")
                continue
            want, have = family(fixture_type), family(built[table][column])
            if have != want and have not in ALSO_ACCEPTED.get(want, set()):
                problems.append(
                    f"marts.{table}.{column}: {built[table][column]!r}, the dashboard is "
                    f"tested with {fixture_type!r}"
                )
    return problems


def test_every_fixture_table_and_column_exists_in_the_built_marts(marts: Warehouse) -> None:
    built = {**contract_columns(), "dbt_invocations": invocation_log_columns()}
    assert interface_problems(fixture_columns(marts), built) == []


def test_the_comparison_names_a_missing_table_column_or_a_wrong_type() -> None:
    fixture = {
        "mart_a": {"date_day": "date", "sessions": "bigint", "revenue": "numeric"},
        "mart_b": {"hour_at": "timestamp with time zone"},
    }
    built = {"mart_a": {"date_day": "text", "revenue": "bigint"}}
    assert interface_problems(fixture, built) == [
        "marts.mart_a.date_day: 'text', the dashboard is tested with 'date'",
        "marts.mart_a.sessions: missing",
        "marts.mart_b: no such model in marts/*.yml",
    ]
    assert interface_problems(
        {"m": {"at": "timestamp with time zone", "n": "bigint"}},
        {"m": {"at": "timestamp without time zone", "n": "numeric(18,4)"}},
    ) == [
        "marts.m.at: 'timestamp without time zone', the dashboard is tested with "
        "'timestamp with time zone'",
        "marts.m.n: 'numeric(18,4)', the dashboard is tested with 'bigint'",
    ]
    assert invocation_log_columns()["elapsed_seconds"] == "double precision"


def test_fixture_file_names_only_marts(marts: Warehouse) -> None:
    # Everything the fixture creates lives in the marts schema the dashboard reads.
    text = (Path(__file__).with_name("marts_fixture.sql")).read_text()
    created = re.findall(r"create table (\w+)\.(\w+)", text)
    assert created and {schema for schema, _ in created} == {"marts"}
    assert {table for _, table in created} == set(fixture_columns(marts))

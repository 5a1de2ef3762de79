"""`python -m transform env`: the variables profiles.yml reads, for the transform role's
database, as shell `export` lines. Tools that run dbt themselves (sqlfluff's dbt
templater, an analyst's shell) use them: `eval "$(python -m transform env)"`."""

from __future__ import annotations

import shlex
import sys

from shared import db
from transform.runner import dbt_environment


def main(argv: list[str]) -> int:
    if argv != ["env"]:
        sys.stderr.write("usage: python -m transform env\n")
        return 2
    for name, value in dbt_environment(db.component_url("transform")).items():
        sys.stdout.write(f"export {name}={shlex.quote(value)}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""`python -m bench [NAME [ARGS...]]`: list the benchmarks, or run one (`python -m bench loader`).

Each `bench/bench_<name>.py` prints its figures against a baseline measured in the same run;
docs/BENCHMARKS.md holds the results and the commands that produced them.
"""

from __future__ import annotations

import ast
import importlib
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def benchmarks() -> dict[str, str]:
    """Name → the first line of the module's docstring (read without importing it)."""
    found = {}
    for path in sorted(HERE.glob("bench_*.py")):
        doc = ast.get_docstring(ast.parse(path.read_text())) or ""
        found[path.stem.removeprefix("bench_")] = doc.splitlines()[0] if doc else ""
    return found


def main() -> int:
    available = benchmarks()
    if len(sys.argv) < 2:
        for name, summary in available.items():
            print(f"{name:12} {summary}")
        print("\nrun one with: .venv/bin/python -m bench NAME [--help]")
        return 0
    name = sys.argv[1]
    if name not in available:
        print(f"no benchmark {name!r}; choose one of: {', '.join(available)}", file=sys.stderr)
        return 2
    module = importlib.import_module(f"bench.bench_{name}")
    sys.argv = [f"bench.bench_{name}", *sys.argv[2:]]
    return module.main() or 0


if __name__ == "__main__":
    sys.exit(main())

"""The loader: lake objects → Postgres `raw.events`, exactly once (SPEC §5)."""

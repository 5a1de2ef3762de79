"""Running the dbt project (the warehouse, SPEC §6) from Python: `transform.runner.run_dbt`."""

"""Libraries of the SPM warehouse that do not depend on Dagster or dbt."""

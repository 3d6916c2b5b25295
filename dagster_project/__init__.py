"""Dagster orchestration of the SPM nightly run (assets, checks, schedule, sensor) and the `spm` CLI."""

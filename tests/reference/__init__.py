"""Independent reference implementations used to cross-check the published warehouse.

Written from ``shared/spec`` and ``docs/decisions.md`` only, never from the loaders in
``ingestion/`` or the dbt models: two implementations written separately must agree.
"""

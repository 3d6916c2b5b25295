"""Data contracts as Great Expectations (GX Core 1.x) suites, derived from ingestion.contracts."""

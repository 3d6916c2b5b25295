"""Reports and atlas: a static HTML site per publication (`published/berichte/`), built from
the published (protected) DuckDB file only. See docs/berichte.md (German, for the office)
and docs/architecture.md "Reports"."""

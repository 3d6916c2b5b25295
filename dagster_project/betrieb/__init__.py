"""Operations of the nightly run: the one-writer lock, failure messages and notifications,
overdue deliveries, retention of run logs, and recovery of the warehouse from the archive.

Ranks between publishing/quality (which it may use) and `defs` (which uses it)."""

"""Disclosure control (Geheimhaltung): a self-contained engine on cells and relations, free
of Dagster and dbt (shared/spec/privacy-and-publishing.md; docs/datenschutz.md).

Modules, each importing only those before it: `config` (rules, statuses, errors), `system`
(arrays, bounds, interval propagation), `relations` (hierarchy and breakdown relations),
`audit` (the attacker), `protect` (primary and secondary suppression), `tables` (the
warehouse's published tables as cells and relations).
"""

from dagster_project.lib.geheimhaltung.audit import AuditResult, audit, pruefen
from dagster_project.lib.geheimhaltung.config import (
    ENGINE_VERSION,
    GESPERRT,
    OK,
    PRIMAER,
    SEKUNDAER,
    VERBORGEN,
    GeheimhaltungConfig,
    GeheimhaltungConfigError,
    GeheimhaltungError,
    config_from_mapping,
    config_to_vars,
)
from dagster_project.lib.geheimhaltung.protect import (
    block_key,
    primary_reasons,
    protect,
    veroeffentlicht,
)
from dagster_project.lib.geheimhaltung.relations import hierarchy_relations, summen_relations

__all__ = [
    "ENGINE_VERSION", "GESPERRT", "OK", "PRIMAER", "SEKUNDAER", "VERBORGEN", "AuditResult",
    "GeheimhaltungConfig", "GeheimhaltungConfigError", "GeheimhaltungError", "audit",
    "block_key", "config_from_mapping", "config_to_vars", "hierarchy_relations",
    "primary_reasons", "protect", "pruefen", "summen_relations", "veroeffentlicht",
]

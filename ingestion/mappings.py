"""Per-source mapping files: onboard an agency's export without a code change.

`<home>/config/mappings/<source>.yaml`:

    spalten:                 # delivered column name -> canonical name (case-insensitive)
      Geb.-Datum: geburtsdatum
    werte:                   # canonical column -> delivered value -> code of the contract
      geschlecht:
        männlich: m

A mapping that renames to an unknown column or recodes to a code outside the contract's
code list is itself an error: the delivery is rejected with a message naming the mapping.
"""

from pathlib import Path

import yaml

from ingestion.contracts import CODE, Contract
from ingestion.errors import DeliveryRejected
from ingestion.readers import NO_MAPPING, Mapping

MAPPING_DIR = "mappings"


def mapping_path(config_dir: Path, source: str) -> Path:
    return config_dir / MAPPING_DIR / f"{source}.yaml"


def load_mapping(config_dir: Path, contract: Contract, file_name: str) -> Mapping:
    """The validated mapping of a source, or an empty one if there is no mapping file."""
    path = mapping_path(config_dir, contract.source)
    if not path.exists():
        return NO_MAPPING
    where = f"Zuordnungsdatei config/{MAPPING_DIR}/{path.name}"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise DeliveryRejected(file_name, f"{where} ist kein gültiges YAML: {exc}") from None
    unknown_keys = set(data) - {"spalten", "werte"}
    if unknown_keys:
        raise DeliveryRejected(file_name, f"{where}: unbekannte Abschnitte {sorted(unknown_keys)}; "
                                          "erlaubt sind 'spalten' und 'werte'.")
    columns = {str(k).strip().lower(): str(v).strip().lower()
               for k, v in (data.get("spalten") or {}).items()}
    for delivered, canonical in columns.items():
        if canonical not in contract.names:
            raise DeliveryRejected(
                file_name, f"{where} benennt die Spalte {delivered!r} in die unbekannte Spalte "
                f"{canonical!r} um.", column=delivered)
    values: dict[str, dict[str, str]] = {}
    for column_name, recodes in (data.get("werte") or {}).items():
        column_name = str(column_name).strip().lower()
        if column_name not in contract.names:
            raise DeliveryRejected(file_name, f"{where}: Werte für die unbekannte Spalte "
                                              f"{column_name!r}.", column=column_name)
        column = contract.column(column_name)
        table = {}
        for delivered, code in (recodes or {}).items():
            code = str(code).strip()
            if column.kind == CODE and column.codes and code not in column.codes:
                raise DeliveryRejected(
                    file_name, f"{where} bildet {delivered!r} auf den unbekannten Code {code!r} ab "
                    f"(erlaubt: {', '.join(column.codes)}).", column=column_name, value=str(delivered))
            table[str(delivered).strip()] = code
            table[str(delivered).strip().lower()] = code
        values[column_name] = table
    return Mapping(path.name, columns, values)

"""Lieferfristen: when the next delivery of a source is due, and which are overdue.

The section `lieferfristen:` of `config/settings.yaml` names, per source, how often it is
delivered (`intervall_monate`) and how many days after the next Stichtag the delivery must
be there at the latest (`frist_tage`):

    lieferfristen:
      einwohner: {intervall_monate: 12, frist_tage: 90}

Per source and municipality (ags) that has delivered the source, the next Stichtag is the
newest loaded Stichtag plus `intervall_monate` (a month end stays a month end: 28.02. + 12
months is 28.02. or 29.02., 30.06. + 6 months is 31.12.), due at the latest `frist_tage`
days after it. A municipality is judged on its own: one that delivered 2024 but not 2025
is overdue even when the others delivered 2025. A configured source without any delivery
is overdue. `raumgliederung` cannot be configured: boundaries carry a `gueltig_ab`, no
Stichtag, and a new version comes when the areas change, not on a fixed cadence.

`spm status` reports the verdicts (exit code 1 when one is overdue). Plain Python over a
few rows; the newest Stichtag per source and ags comes from the warehouse (or, while a run
writes it, from the published table `datenstand`).
"""

import calendar
import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from ingestion.home import SOURCES

SECTION = "lieferfristen"
KEYS = ("intervall_monate", "frist_tage")
# sources with a Stichtag (raumgliederung has gueltig_ab and no delivery rhythm)
FRIST_QUELLEN = tuple(s for s in SOURCES if s != "raumgliederung")


@dataclass(frozen=True)
class Lieferfrist:
    """The delivery rhythm of one source."""

    quelle: str
    intervall_monate: int
    frist_tage: int


@dataclass(frozen=True)
class Fristlage:
    """The verdict for one source and municipality (`ags` None: the source was never
    delivered at all)."""

    quelle: str
    ags: str | None
    neuester_stichtag: dt.date | None
    naechster_stichtag: dt.date | None
    faellig_bis: dt.date | None          # last day on which the next delivery is on time
    ueberfaellig: bool

    @property
    def nie_geliefert(self) -> bool:
        return self.neuester_stichtag is None

    @property
    def ueberfaellig_seit(self) -> dt.date | None:
        """The first day the delivery is late (None: not overdue, or never delivered)."""
        if not self.ueberfaellig or self.faellig_bis is None:
            return None
        return self.faellig_bis + dt.timedelta(days=1)

    def meldung(self) -> str:
        """One German line: what is due or overdue."""
        if self.nie_geliefert:
            return (f"Lieferung {self.quelle}: ÜBERFÄLLIG, es wurde noch nie geliefert "
                    "(Lieferfrist eingestellt)")
        wo = f"{self.quelle}, Gemeinde {self.ags}"
        if self.ueberfaellig:
            return (f"Lieferung {wo}: ÜBERFÄLLIG seit {_de(self.ueberfaellig_seit)} (Stichtag "
                    f"{_de(self.naechster_stichtag)} fehlt, Frist bis {_de(self.faellig_bis)}; "
                    f"neuester Stichtag {_de(self.neuester_stichtag)})")
        return (f"Lieferung {wo}: Stichtag {_de(self.naechster_stichtag)} fällig bis "
                f"{_de(self.faellig_bis)}")


def _de(day: dt.date | None) -> str:
    return "–" if day is None else f"{day:%d.%m.%Y}"


def _whole_number(path: Path, quelle: str, key: str, value, minimum: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"{path}: {SECTION}: {quelle}: {key}: ganze Zahl ab {minimum} "
                         f"erwartet, nicht {value!r}")
    return value


def lieferfristen(section: Mapping | None, path: Path) -> dict[str, Lieferfrist]:
    """The section `lieferfristen:` as written in `path` (a mapping, empty: nothing is
    monitored), checked; ValueError naming the file and the key when a value is wrong."""
    if section is None:
        return {}
    if not isinstance(section, Mapping):
        raise ValueError(f"{path}: {SECTION}: Abschnitt (Quelle: {{intervall_monate: …, "
                         f"frist_tage: …}}) erwartet, nicht {section!r}")
    result = {}
    for quelle, entry in section.items():
        if quelle == "raumgliederung":
            raise ValueError(
                f"{path}: {SECTION}: raumgliederung: für Raumgliederungen gibt es keine "
                "Lieferfrist (sie haben ein „gültig ab“, keinen Stichtag, und kommen nur, "
                "wenn sich die Räume ändern); bitte den Eintrag entfernen")
        if quelle not in FRIST_QUELLEN:
            raise ValueError(f"{path}: {SECTION}: unbekannte Quelle {quelle!r} (möglich: "
                             f"{', '.join(FRIST_QUELLEN)})")
        if not isinstance(entry, Mapping):
            raise ValueError(f"{path}: {SECTION}: {quelle}: {{intervall_monate: …, "
                             f"frist_tage: …}} erwartet, nicht {entry!r}")
        unknown = sorted(str(k) for k in entry if k not in KEYS)
        if unknown:
            raise ValueError(f"{path}: {SECTION}: {quelle}: unbekannte Einstellung(en): "
                             f"{', '.join(unknown)} (möglich: {', '.join(KEYS)})")
        missing = [k for k in KEYS if k not in entry]
        if missing:
            raise ValueError(f"{path}: {SECTION}: {quelle}: {', '.join(missing)} fehlt")
        result[quelle] = Lieferfrist(
            quelle=quelle,
            intervall_monate=_whole_number(path, quelle, "intervall_monate",
                                           entry["intervall_monate"], 1),
            frist_tage=_whole_number(path, quelle, "frist_tage", entry["frist_tage"], 0))
    return result


def lieferfristen_laden(config_dir: Path) -> dict[str, Lieferfrist]:
    """The checked section of `config_dir/settings.yaml` (ValueError when it is wrong)."""
    from ingestion.settings import load_settings

    return lieferfristen(load_settings(config_dir).lieferfristen,
                         config_dir / "settings.yaml")


def plus_monate(tag: dt.date, monate: int) -> dt.date:
    """`tag` plus whole months; a month end stays a month end, another day is cut to the
    length of the target month (31.01. + 1 = 28.02.)."""
    years, month0 = divmod(tag.month - 1 + monate, 12)
    year, month = tag.year + years, month0 + 1
    last = calendar.monthrange(year, month)[1]
    month_end = tag.day == calendar.monthrange(tag.year, tag.month)[1]
    return dt.date(year, month, last if month_end else min(tag.day, last))


def fristen_pruefen(fristen: Mapping[str, Lieferfrist],
                    neueste: Iterable[tuple[str, str, dt.date]],
                    heute: dt.date) -> list[Fristlage]:
    """The verdict per configured source and municipality, from (quelle, ags, newest
    Stichtag) rows: overdue when `heute` is after the due date. A configured source without
    a row is overdue (one verdict with `ags` None). Ordered by source (home order), ags."""
    per_source: dict[str, list[tuple[str, dt.date]]] = {q: [] for q in fristen}
    for quelle, ags, stichtag in neueste:
        if quelle in per_source and stichtag is not None:
            per_source[quelle].append((ags, stichtag))
    result = []
    for quelle in (q for q in SOURCES if q in fristen):
        frist = fristen[quelle]
        rows = per_source[quelle]
        if not rows:
            result.append(Fristlage(quelle, None, None, None, None, True))
            continue
        for ags, stichtag in sorted(rows, key=lambda row: str(row[0])):
            naechster = plus_monate(stichtag, frist.intervall_monate)
            faellig = naechster + dt.timedelta(days=frist.frist_tage)
            result.append(Fristlage(quelle, ags, stichtag, naechster, faellig, heute > faellig))
    return result


def neueste_stichtage(con, quellen: Iterable[str]) -> list[tuple[str, str, dt.date]]:
    """(quelle, ags, newest Stichtag) per source and municipality from the warehouse's raw
    tables (an open DuckDB connection)."""
    rows = []
    for quelle in quellen:
        if quelle not in FRIST_QUELLEN:
            raise ValueError(f"keine Quelle mit Stichtag: {quelle!r}")
        rows += con.execute(f"""
            select ?, ags, max(stichtag) from raw.{quelle}
            where ags is not null and stichtag is not null group by ags""",
                            [quelle]).fetchall()
    return rows


def neueste_stichtage_veroeffentlicht(published_db: Path,
                                      quellen: Iterable[str]) -> list[tuple[str, str, dt.date]]:
    """The same from the published table `datenstand` (for when the warehouse is being
    written: the published file is never locked)."""
    import duckdb

    quellen = [q for q in quellen if q in FRIST_QUELLEN]
    if not quellen:
        return []
    con = duckdb.connect(str(published_db), read_only=True)
    try:
        return con.execute("""
            select quelle, ags, stichtag from datenstand
            where stichtag is not null and list_contains(?, quelle)""", [quellen]).fetchall()
    finally:
        con.close()

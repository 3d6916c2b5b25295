"""What the nightly dbt build rebuilds: every Stichtag, or only those that changed.

The person-level models whose rows of a Stichtag depend only on that Stichtag's deliveries
(and on the address register) are incremental models keyed on `stichtag`
(`dbt_spm/macros/nur_neue_stichtage.sql`). Before the build this module compares the warehouse with
the state of the last *complete* build, recorded in the warehouse itself (`meta.build_state`:
code and configuration fingerprints; `meta.build_deliveries`: the deliveries that build
rested on):

- only new or replaced deliveries of person-level sources: rebuild their Stichtage;
- anything else — no complete build recorded (first run, or the last build failed or was
  interrupted or built only some models), changed code or package versions, changed
  configuration, new geography (address register, Raumgliederung), a delivery that is gone,
  `spm run --erzwingen` — rebuilds everything (`dbt build --full-refresh`).

The record is deleted before dbt starts and written only after dbt finished every model and
test of the whole project, so a build that breaks off can never be mistaken for a complete
one: the next run rebuilds everything (docs/architecture.md, "Only what changed").
"""

from dataclasses import dataclass
from datetime import date

import duckdb

# sources whose rows carry the delivery's Stichtag into the incremental models
PERSON_SOURCES = ("einwohner", "sgb2", "hze", "seu", "kita", "schule", "schulabgang")
# deliveries whose rows are (or were) in the warehouse; rejected and duplicate files add none
_WITH_ROWS = "status in ('loaded', 'replaced')"

_SCHEMA = """
create schema if not exists meta;
create table if not exists meta.build_state (
    code varchar not null,           -- code_fingerprint() of the build
    konfiguration varchar not null,  -- config_fingerprint() of the home's config/
    built_at timestamp not null
);
create table if not exists meta.build_deliveries (
    delivery_id integer not null,
    source varchar not null,
    stichtag date,
    status varchar not null
);
"""


@dataclass(frozen=True)
class Aufbau:
    """The plan of one dbt build."""

    vollstaendig: bool             # rebuild every Stichtag (`--full-refresh`)
    stichtage: tuple[date, ...]    # otherwise: the Stichtage to rebuild (may be empty)
    grund: str                     # why, in German, for the run log

    def dbt_args(self) -> list[str]:
        return ["--full-refresh"] if self.vollstaendig else []

    def stichtage_env(self) -> str:
        """The value of `SPM_STICHTAGE` for dbt (`dbt_spm/macros/nur_neue_stichtage.sql`)."""
        if self.vollstaendig:
            return "alle"
        return ",".join(tag.isoformat() for tag in self.stichtage) or "keine"

    def meldung(self) -> str:
        if self.vollstaendig:
            return f"Vollständiger Neuaufbau aller Stichtage: {self.grund}."
        if not self.stichtage:
            return ("Keine neue Lieferung einer Personenquelle: die personenbezogenen Tabellen "
                    "bleiben, wie sie sind; alle Kennzahlen werden neu berechnet.")
        tage = ", ".join(f"{tag:%d.%m.%Y}" for tag in self.stichtage)
        return (f"Neu aufgebaut werden nur die Stichtage {tage} ({self.grund}); die übrigen "
                "bleiben aus dem letzten vollständigen Lauf.")


def _full(grund: str) -> Aufbau:
    return Aufbau(True, (), grund)


def plan(con: duckdb.DuckDBPyConnection, code: str, konfiguration: str,
         erzwungen: bool = False, teilauswahl: bool = False) -> Aufbau:
    """Compare the warehouse with the last complete build (see the module's docstring).
    `teilauswahl`: only some dbt assets are built (a selection in the UI); they are built
    whole and the next run rebuilds everything."""
    con.execute(_SCHEMA)
    if erzwungen:
        return _full("der Lauf wurde erzwungen")
    if teilauswahl:
        return _full("nur ausgewählte Modelle werden gebaut; der nächste vollständige Lauf "
                     "baut alles neu auf")
    state = con.execute("select code, konfiguration from meta.build_state").fetchall()
    if len(state) != 1:
        return _full("kein vollständiger Aufbau verzeichnet (erster Lauf, oder der letzte "
                     "Aufbau brach ab oder baute nur einen Teil)")
    if state[0][0] != code:
        return _full("Programmcode oder Paketversionen sind geändert")
    if state[0][1] != konfiguration:
        return _full("die Einstellungen in config/ sind geändert")
    gone = con.execute(f"""
        select count(*) from meta.build_deliveries b
        where not exists (
            select 1 from raw.delivery_log d
            where d.delivery_id = b.delivery_id and d.source = b.source
              and d.stichtag is not distinct from b.stichtag and d.{_WITH_ROWS})""").fetchone()[0]
    if gone:
        return _full(f"{gone} Lieferung(en) des letzten Aufbaus fehlen im Lieferprotokoll")
    changed = con.execute(f"""
        select d.source, d.stichtag from raw.delivery_log d
        where d.{_WITH_ROWS} and not exists (
            select 1 from meta.build_deliveries b
            where b.delivery_id = d.delivery_id and b.status = d.status)
        order by d.stichtag, d.source""").fetchall()
    others = sorted({source for source, _ in changed if source not in PERSON_SOURCES})
    if others:
        return _full("neue Lieferung(en) " + ", ".join(others))
    if any(stichtag is None for _, stichtag in changed):
        return _full("eine Lieferung ohne Stichtag")
    stichtage = tuple(sorted({stichtag for _, stichtag in changed}))
    sources = ", ".join(sorted({source for source, _ in changed}))
    return Aufbau(False, stichtage, f"neue Lieferungen: {sources}" if changed else "")


def begin(con: duckdb.DuckDBPyConnection) -> None:
    """Forget the last complete build before dbt changes any table."""
    con.execute(_SCHEMA)
    con.execute("delete from meta.build_state")


def finish(con: duckdb.DuckDBPyConnection, code: str, konfiguration: str) -> None:
    """Record a complete build: its fingerprints and the deliveries it rests on."""
    con.execute(_SCHEMA)
    con.execute("begin transaction")
    try:
        con.execute("delete from meta.build_deliveries")
        con.execute(f"insert into meta.build_deliveries select delivery_id, source, stichtag, "
                    f"status from raw.delivery_log where {_WITH_ROWS}")
        con.execute("delete from meta.build_state")
        con.execute("insert into meta.build_state values (?, ?, current_timestamp)",
                    [code, konfiguration])
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise

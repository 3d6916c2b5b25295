"""The delivery contracts (shared/spec/contracts.md) as data.

Loaders, the GX suites and the agency documentation are all derived from these
definitions, so that they cannot drift apart.
"""

from dataclasses import dataclass, field

# Column kinds
TEXT = "text"
ID = "id"            # pseudonym: re-hashed with the keyed hash at load time
DATE = "date"
CODE = "code"        # value from a fixed code list
AGS = "ags"
INTEGER = "integer"
DECIMAL = "decimal"
HOUSE_NUMBER = "hausnummer"
PLZ = "plz"


@dataclass(frozen=True)
class Column:
    name: str
    kind: str
    required: bool
    codes: tuple[str, ...] = ()
    description: str = ""


@dataclass(frozen=True)
class Contract:
    source: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    description: str = ""
    stichtag_note: str = ""
    person_level: bool = True
    extra_checks: tuple[str, ...] = field(default=())

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)


GESCHLECHT = ("m", "w", "d", "o")
FAMILIENSTAND = ("LD", "VH", "VW", "GS", "LP", "NB")
WOHNUNGSSTATUS = ("H", "N")

ADDRESS_COLUMNS = (
    Column("ags", AGS, True, description="Amtlicher Gemeindeschlüssel, 8 Ziffern"),
    Column("strasse", TEXT, True, description="Straßenname"),
    Column("hausnummer", HOUSE_NUMBER, True, description="Hausnummer, z. B. 12, 12a, 12-14"),
    Column("hausnummer_zusatz", TEXT, False, description="Hausnummernzusatz, z. B. a"),
    Column("plz", PLZ, False, description="Postleitzahl, 5 Ziffern"),
)

ADRESSEN = Contract(
    source="adressen",
    description="Adressregister (wie die Hauskoordinaten NRW)",
    stichtag_note="Datum des Registerauszugs",
    person_level=False,
    key=("ags", "strasse_norm", "hausnummer", "hausnummer_zusatz_norm"),
    columns=ADDRESS_COLUMNS + (
        Column("ostwert", DECIMAL, True, description="Ostwert, ETRS89/UTM 32N (EPSG:25832), Meter"),
        Column("nordwert", DECIMAL, True, description="Nordwert, ETRS89/UTM 32N (EPSG:25832), Meter"),
    ),
)

EINWOHNER = Contract(
    source="einwohner",
    description="Einwohnermeldeamt: Einwohnerinnen und Einwohner am Stichtag",
    stichtag_note="üblicherweise 31.12.",
    key=("person_id",),
    columns=(
        Column("person_id", ID, True, description="Pseudonym der Person, eindeutig je Lieferung"),
        Column("geburtsdatum", DATE, True, description="Geburtsdatum"),
        Column("geschlecht", CODE, True, GESCHLECHT, "m, w, d, o (ohne Angabe)"),
        Column("staatsangehoerigkeit", CODE, True, description="Destatis-Schlüssel, 3 Ziffern, 000 = deutsch"),
        Column("weitere_staatsangehoerigkeit", CODE, False, description="weitere Staatsangehörigkeit, 3 Ziffern"),
        Column("familienstand", CODE, False, FAMILIENSTAND,
               "LD ledig, VH verheiratet, VW verwitwet, GS geschieden, LP Lebenspartnerschaft, NB nicht bekannt"),
        Column("ehegatte_id", ID, False, description="person_id der Ehegattin/des Ehegatten bzw. Lebenspartners"),
        Column("elternteil1_id", ID, False, description="person_id eines Elternteils"),
        Column("elternteil2_id", ID, False, description="person_id des anderen Elternteils"),
        Column("wohnungsstatus", CODE, True, WOHNUNGSSTATUS, "H Haupt- oder alleinige Wohnung, N Nebenwohnung"),
        Column("zuzug_datum", DATE, False, description="Datum des Einzugs in die jetzige Adresse"),
    ) + ADDRESS_COLUMNS,
)

RAUMGLIEDERUNG_PROPERTIES = (
    Column("raum_id", TEXT, True, description="eindeutig je Gliederung, z. B. 05766008-SR04"),
    Column("raum_name", TEXT, True, description="z. B. Sozialraum 4 – Kernstadt Nord"),
    Column("ags", AGS, False, description="Gemeinde; fehlt bei gemeindeübergreifenden Räumen"),
)

TABULAR_CONTRACTS: dict[str, Contract] = {c.source: c for c in (ADRESSEN, EINWOHNER)}

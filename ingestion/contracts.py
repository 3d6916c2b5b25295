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
YESNO = "janein"     # J/N (also ja/nein, 1/0, true/false), stored as boolean
YEAR = "jahr"        # YYYY
SCHULJAHR = "schuljahr"  # 2024/25


@dataclass(frozen=True)
class Column:
    name: str
    kind: str
    required: bool
    codes: tuple[str, ...] = ()
    description: str = ""
    minimum: float | None = None


@dataclass(frozen=True)
class Contract:
    source: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    description: str = ""
    stichtag_note: str = ""
    person_level: bool = True
    # (column, reason) pairs for rules across columns, checked in ingestion.rows
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

PERSON_BASICS = (
    Column("geburtsdatum", DATE, True, description="Geburtsdatum"),
    Column("geschlecht", CODE, True, GESCHLECHT, "m, w, d, o (ohne Angabe)"),
)

LEISTUNGSBERECHTIGUNG = ("ELB", "NEF", "SLB", "KOL", "AUS")
BG_TYP = ("SINGLE", "AE", "PAAR_OK", "PAAR_MK", "SONST")
HILFEART = ("27_2", "28", "29", "30", "31", "32", "33", "34", "35", "35a", "41", "42")
GEWICHTSKLASSE = ("1", "2", "3", "4", "5")
DEUTSCHKENNTNISSE = ("1", "2", "3", "4")
KITA_DAUER = ("0", "1", "2", "3")
BETREUUNGSART = ("KITA", "KTP")
SCHULFORM = ("GY", "GE", "RS", "HS", "SK", "PR", "FS", "SO")
ABSCHLUSS = ("OA", "HSA", "MSA", "FHR", "AHR")

SGB2 = Contract(
    source="sgb2",
    description="Jobcenter (SGB II): Personen in Bedarfsgemeinschaften am Stichtag",
    stichtag_note="üblicherweise 31.12.",
    key=("person_id",),
    columns=(
        Column("person_id", ID, True, description="Pseudonym der Person"),
        Column("bg_id", ID, True, description="Pseudonym der Bedarfsgemeinschaft"),
        *PERSON_BASICS,
        Column("staatsangehoerigkeit", CODE, False, description="Destatis-Schlüssel, 3 Ziffern, 000 = deutsch"),
        Column("leistungsberechtigung", CODE, True, LEISTUNGSBERECHTIGUNG,
               "ELB erwerbsfähige Leistungsberechtigte, NEF nicht erwerbsfähige Leistungsberechtigte, "
               "SLB sonstige Leistungsberechtigte, KOL Kinder ohne Leistungsanspruch, "
               "AUS vom Leistungsanspruch ausgeschlossen"),
        Column("arbeitslos", YESNO, False, description="J/N, für ELB"),
        Column("bg_typ", CODE, False, BG_TYP,
               "SINGLE, AE alleinerziehend, PAAR_OK Paar ohne Kinder, PAAR_MK Paar mit Kindern, SONST"),
    ) + ADDRESS_COLUMNS,
)

HZE = Contract(
    source="hze",
    description="Jugendamt: Hilfen zur Erziehung, alle im Kalenderjahr des Stichtags laufenden Fälle",
    stichtag_note="31.12.; Fälle des ganzen Kalenderjahres",
    key=("fall_id",),
    extra_checks=("ende_nach_beginn",),
    columns=(
        Column("fall_id", ID, True, description="Pseudonym des Falls, eindeutig je Lieferung"),
        Column("person_id", ID, True, description="Pseudonym des jungen Menschen"),
        *PERSON_BASICS,
        Column("hilfeart", CODE, True, HILFEART,
               "27_2 sonstige/flexible Hilfe, 28 Erziehungsberatung, 29 soziale Gruppenarbeit, "
               "30 Erziehungsbeistand, 31 SPFH, 32 Tagesgruppe, 33 Vollzeitpflege, "
               "34 Heimerziehung/betreutes Wohnen, 35 ISE, 35a Eingliederungshilfe, "
               "41 junge Volljährige, 42 Inobhutnahme"),
        Column("beginn", DATE, True, description="Beginn der Hilfe"),
        Column("ende", DATE, False, description="Ende der Hilfe; leer = laufend"),
        Column("kosten_euro", DECIMAL, False, description="Bruttoausgaben des Falls im Kalenderjahr, ≥ 0",
               minimum=0),
    ) + ADDRESS_COLUMNS,
)

SEU = Contract(
    source="seu",
    description="Gesundheitsamt: Schuleingangsuntersuchung, ein Kind je Zeile",
    stichtag_note="Ende der Untersuchungskampagne; Berichtsjahr = einschulungsjahr",
    key=("kind_id",),
    columns=(
        Column("kind_id", ID, True, description="Pseudonym des Kindes"),
        *PERSON_BASICS,
        Column("untersuchungsdatum", DATE, True, description="Datum der Untersuchung"),
        Column("einschulungsjahr", YEAR, True, description="Jahr der Einschulung, JJJJ"),
        Column("gewichtsklasse", CODE, False, GEWICHTSKLASSE,
               "1 starkes Untergewicht, 2 Untergewicht, 3 Normalgewicht, 4 Übergewicht, 5 Adipositas"),
        Column("erstsprache_deutsch", YESNO, False, description="J/N"),
        Column("deutschkenntnisse", CODE, False, DEUTSCHKENNTNISSE,
               "1 fehlerfrei, 2 leichte Fehler, 3 erhebliche Fehler, 4 kein Deutsch"),
        Column("sprachscreening_auffaellig", YESNO, False, description="J/N"),
        Column("koerperkoordination_auffaellig", YESNO, False, description="J/N"),
        Column("visuomotorik_auffaellig", YESNO, False, description="J/N"),
        Column("impfdokument_vorgelegt", YESNO, False, description="J/N"),
        Column("masern_vollstaendig", YESNO, False, description="J/N (zwei Impfungen), nur bei vorgelegtem Impfdokument"),
        Column("u9_dokumentiert", YESNO, False, description="J/N"),
        Column("kita_dauer", CODE, False, KITA_DAUER,
               "0 keine, 1 unter 1 Jahr, 2 1 bis unter 2 Jahre, 3 2 Jahre und mehr"),
    ) + ADDRESS_COLUMNS,
)

KITA = Contract(
    source="kita",
    description="Jugendamt/Kita-Bedarfsplanung: betreute Kinder am Stichtag nach Wohnort",
    stichtag_note="üblicherweise 01.03.",
    key=("kind_id",),
    columns=(
        Column("kind_id", ID, True, description="Pseudonym des Kindes"),
        *PERSON_BASICS,
        Column("betreuungsart", CODE, True, BETREUUNGSART, "KITA Kindertageseinrichtung, KTP Kindertagespflege"),
        Column("einrichtung_id", TEXT, False, description="Kennung der Einrichtung"),
        Column("wochenstunden", DECIMAL, False, description="gebuchte Wochenstunden, z. B. 25, 35, 45",
               minimum=0),
        Column("betreuungsbeginn", DATE, False, description="Beginn der Betreuung"),
    ) + ADDRESS_COLUMNS,
)

SCHULE = Contract(
    source="schule",
    description="Schulträger: Schülerinnen und Schüler beim Übergang in Klasse 5, nach Wohnort",
    stichtag_note="15.10.; Berichtsjahr = erstes Jahr des Schuljahres",
    key=("schueler_id",),
    columns=(
        Column("schueler_id", ID, True, description="Pseudonym der Schülerin/des Schülers"),
        *PERSON_BASICS,
        Column("schuljahr", SCHULJAHR, True, description="Schuljahr, z. B. 2024/25"),
        Column("schulform", CODE, True, SCHULFORM,
               "GY Gymnasium, GE Gesamtschule, RS Realschule, HS Hauptschule, SK Sekundarschule, "
               "PR PRIMUS-Schule, FS Förderschule, SO sonstige"),
        Column("foerderbedarf", YESNO, False, description="J/N sonderpädagogischer Förderbedarf"),
    ) + ADDRESS_COLUMNS,
)

SCHULABGANG = Contract(
    source="schulabgang",
    description="Schulträger: Abgängerinnen und Abgänger eines Schuljahres, nach Wohnort",
    stichtag_note="31.07.; Berichtsjahr = zweites Jahr des Schuljahres",
    key=("schueler_id",),
    columns=(
        Column("schueler_id", ID, True, description="Pseudonym der Schülerin/des Schülers"),
        *PERSON_BASICS,
        Column("schuljahr", SCHULJAHR, True, description="Schuljahr, z. B. 2023/24"),
        Column("abschluss", CODE, True, ABSCHLUSS,
               "OA ohne Hauptschulabschluss, HSA Hauptschulabschluss, MSA mittlerer Schulabschluss, "
               "FHR Fachhochschulreife, AHR allgemeine Hochschulreife"),
    ) + ADDRESS_COLUMNS,
)

RAUMGLIEDERUNG_PROPERTIES = (
    Column("raum_id", TEXT, True, description="eindeutig je Gliederung, z. B. 05766008-SR04"),
    Column("raum_name", TEXT, True, description="z. B. Sozialraum 4 – Kernstadt Nord"),
    Column("ags", AGS, False, description="Gemeinde; fehlt bei gemeindeübergreifenden Räumen"),
)

TABULAR_CONTRACTS: dict[str, Contract] = {
    c.source: c for c in (ADRESSEN, EINWOHNER, SGB2, HZE, SEU, KITA, SCHULE, SCHULABGANG)
}


_SQL_TYPES = {
    ID: "varchar", DATE: "date", CODE: "varchar", AGS: "varchar", INTEGER: "integer",
    DECIMAL: "double", PLZ: "varchar", TEXT: "varchar", YESNO: "boolean", YEAR: "integer",
    SCHULJAHR: "varchar",
}


def raw_columns(contract: Contract) -> list[tuple[str, str]]:
    """(name, SQL type) of the raw table of a tabular source.

    Delivery id, line number and Stichtag first, then the contract's columns as typed by the
    loader; a house number becomes `hausnummer` (integer) plus `hausnummer_zusatz_norm`, and
    `strasse` is followed by its match key `strasse_norm`.
    """
    columns = [("delivery_id", "integer"), ("line_no", "integer"), ("stichtag", "date")]
    for column in contract.columns:
        if column.kind == HOUSE_NUMBER:
            columns += [("hausnummer", "integer"), ("hausnummer_zusatz_norm", "varchar")]
        else:
            columns.append((column.name, _SQL_TYPES[column.kind]))
        if column.name == "strasse":
            columns.append(("strasse_norm", "varchar"))
    return columns


def raw_table_ddl(contract: Contract) -> str:
    body = ",\n    ".join(f"{name} {sql_type}" for name, sql_type in raw_columns(contract))
    return f"create table if not exists raw.{contract.source} (\n    {body}\n);\n"

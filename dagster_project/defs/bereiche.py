"""The asset graph as the office reads it in the Dagster UI: every asset's group (a Bereich:
a domain or a step of the run), its owners (the delivering agency, the Statistikstelle
that runs the warehouse, the planning units that use the figures) and a German description.

Used by the ingestion assets, the dbt translator (`defs/dbt/assets.py`), publishing and the
operations assets; asset keys are not touched here. Dagster owners are e-mail addresses or
`team:<name>`; the teams stand for offices of the county administration.

A dbt model gets its Bereich from the table `MODELLE` (group, planning units, German text);
a model missing there gets one derived from its folder and name (`_abgeleitet`), so a new
model never lands in Dagster's group `default` or without a German description.
"""

from collections.abc import Mapping
from dataclasses import dataclass

STATISTIKSTELLE = "team:Statistikstelle"

# the planning units that use the published figures
JUGENDHILFEPLANUNG = "team:Jugendhilfeplanung"
KITA_BEDARFSPLANUNG = "team:Kita-Bedarfsplanung"
BILDUNGSMONITORING = "team:Bildungsmonitoring"
GESUNDHEITSPLANUNG = "team:Gesundheitsplanung"
ALTENHILFEPLANUNG = "team:Altenhilfeplanung"
PLANUNG = (JUGENDHILFEPLANUNG, KITA_BEDARFSPLANUNG, BILDUNGSMONITORING, GESUNDHEITSPLANUNG,
           ALTENHILFEPLANUNG)


@dataclass(frozen=True)
class Bereich:
    gruppe: str                     # Dagster group name ([A-Za-z0-9_]+)
    titel: str                      # German, for the docs
    planung: tuple[str, ...] = ()   # planning units using the Bereich's figures


BEREICHE = {b.gruppe: b for b in (
    Bereich("geografie", "Geografie: Adressregister, Raumgliederung, Gemeinden, "
                         "Zuordnung der Adressen zu Räumen"),
    Bereich("bevoelkerung", "Bevölkerung: Einwohnermelderegister und Indikatoren B",
            (ALTENHILFEPLANUNG, KITA_BEDARFSPLANUNG)),
    Bereich("haushalte", "Haushalte: Haushaltegenerierung und Indikatoren H",
            (ALTENHILFEPLANUNG, JUGENDHILFEPLANUNG)),
    Bereich("sgb2", "Soziale Lage (SGB II): Jobcenter und Indikatoren S",
            (JUGENDHILFEPLANUNG,)),
    Bereich("jugendhilfe", "Jugendhilfe: Hilfen zur Erziehung (Indikatoren E) und "
                           "Kindertagesbetreuung (Indikatoren K)",
            (JUGENDHILFEPLANUNG, KITA_BEDARFSPLANUNG)),
    Bereich("gesundheit", "Gesundheit: Schuleingangsuntersuchung und Indikatoren G",
            (GESUNDHEITSPLANUNG,)),
    Bereich("bildung", "Bildung: Übergänge in Klasse 5, Schulabgänge und Indikatoren BI",
            (BILDUNGSMONITORING,)),
    Bereich("indikatoren", "Indikatoren: Katalog und alle Indikatorwerte", PLANUNG),
    Bereich("sozialindex", "Sozialindex (Verfahren des Berliner Monitorings)", PLANUNG),
    Bereich("geheimhaltung", "Geheimhaltung: Sperrung und Angreiferprüfung (privat)"),
    Bereich("datenstand", "Datenstand: Lieferprotokoll, Quarantäne, Abdeckung je Quelle "
                          "und Gemeinde"),
    Bereich("qualitaet", "Qualität: Adressabgleich, Prüfbeiträge, Qualitätsbericht (privat)"),
    Bereich("veroeffentlichung", "Veröffentlichung: die Tabellen des veröffentlichten "
                                 "Datensets, die Fassung, PostgreSQL, Berichte", PLANUNG),
    Bereich("betrieb", "Betrieb: Aufbewahrung der Laufprotokolle"),
)}

# the delivering agency of every source (its raw asset and its staging models)
AMT = {
    "einwohner": "team:Einwohnermeldeamt",
    "adressen": "team:Vermessung",
    "raumgliederung": "team:Vermessung",
    "gemeinden": STATISTIKSTELLE,
    "sgb2": "team:Jobcenter",
    "hze": "team:Jugendamt",
    "kita": "team:Jugendamt",
    "seu": "team:Gesundheitsamt",
    "schule": "team:Schulamt",
    "schulabgang": "team:Schulamt",
    "delivery_log": STATISTIKSTELLE,
    "quarantine": STATISTIKSTELLE,
}

# the agency of a staging folder (dbt_spm/models/staging/<folder>/)
AMT_DES_ORDNERS = {
    "einwohnermeldeamt": "team:Einwohnermeldeamt",
    "geodaten": "team:Vermessung",
    "gesundheitsamt": "team:Gesundheitsamt",
    "jobcenter": "team:Jobcenter",
    "jugendamt": "team:Jugendamt",
    "schultraeger": "team:Schulamt",
    "statistikstelle": STATISTIKSTELLE,
}

# Bereich of every delivery source
QUELLEN = {
    "einwohner": "bevoelkerung",
    "adressen": "geografie",
    "raumgliederung": "geografie",
    "gemeinden": "geografie",
    "sgb2": "sgb2",
    "hze": "jugendhilfe",
    "kita": "jugendhilfe",
    "seu": "gesundheit",
    "schule": "bildung",
    "schulabgang": "bildung",
    "delivery_log": "datenstand",
    "quarantine": "datenstand",
}

_LIEFERUNG = {
    "einwohner": "Einwohnermelderegister (Personen mit Haupt- und Nebenwohnsitz je Stichtag) "
                 "vom Einwohnermeldeamt",
    "adressen": "Adressregister mit Koordinaten (Auszug je Stichtag) von der Vermessung",
    "raumgliederung": "Raumgliederungen (Sozialräume, Planungsräume) als Flächen, je Version "
                      "gültig ab, von der Vermessung",
    "sgb2": "Personen in Bedarfsgemeinschaften nach dem SGB II je Stichtag vom Jobcenter",
    "hze": "Fälle der Hilfen zur Erziehung im Kalenderjahr des Stichtags vom Jugendamt",
    "kita": "Kinder in Kindertagesbetreuung am Stichtag vom Jugendamt",
    "seu": "Befunde der Schuleingangsuntersuchung vom Gesundheitsamt",
    "schule": "Schülerinnen und Schüler der Jahrgangsstufe 5 nach Wohnort vom Schulamt",
    "schulabgang": "Schulabgängerinnen und Schulabgänger eines Schuljahres nach Wohnort vom "
                   "Schulamt",
}


def raw_beschreibung(source: str) -> str:
    """German description of a raw asset (delivery source, municipalities, the logs)."""
    if source == "gemeinden":
        return RAW_BESCHREIBUNG_GEMEINDEN
    if source in RAW_PROTOKOLLE:
        return RAW_PROTOKOLLE[source]
    if source not in _LIEFERUNG:
        return f"Rohdaten {source} im Warehouse (privat)."
    return (f"Rohdaten der Quelle {source}: {_LIEFERUNG[source]}. Neue Dateien aus "
            f"inbox/{source}/ werden gegen den Datenvertrag geprüft, archiviert und geladen; "
            "fehlerhafte Zeilen gehen in die Quarantäne (privat).")


RAW_BESCHREIBUNG_GEMEINDEN = ("Namen der Gemeinden und des Kreises aus config/gemeinden.csv "
                              "der Statistikstelle; bei jedem Lauf neu geladen.")
RAW_PROTOKOLLE = {
    "delivery_log": "Lieferprotokoll (privat): jede eingegangene Datei mit Quelle, Stichtag, "
                    "Prüfsumme, Status (geladen, ersetzt, doppelt, abgewiesen) und Zeilenzahlen; "
                    "geschrieben beim Laden der Lieferungen.",
    "quarantine": "Quarantäne (privat): die Zeilen der Lieferungen, die gegen den "
                  "Datenvertrag verstoßen, mit Grund und Gemeinde; geschrieben beim Laden.",
}


def owners(gruppe: str, amt: str | None = None, planung: tuple[str, ...] | None = None,
           ) -> list[str]:
    """The agency first (if any), then the Statistikstelle, then the planning units."""
    teams = [amt] if amt else []
    teams.append(STATISTIKSTELLE)
    teams += BEREICHE[gruppe].planung if planung is None else planung
    return list(dict.fromkeys(teams))


def raw_owners(source: str) -> list[str]:
    """The raw data belong to the delivering agency and the Statistikstelle; no planning
    unit ever sees them."""
    return owners(QUELLEN[source], AMT[source], planung=())


@dataclass(frozen=True)
class Modell:
    gruppe: str
    beschreibung: str | None        # German; None: the dbt description (German already)
    planung: tuple[str, ...] | None = None   # None: the planning units of the Bereich


_J, _K = (JUGENDHILFEPLANUNG,), (KITA_BEDARFSPLANUNG,)

MODELLE: Mapping[str, Modell] = {
    # staging: one view per raw table of an agency
    "stg_einwohnermeldeamt__einwohner": Modell(
        "bevoelkerung", "Einwohnermelderegister, umbenannt und typisiert, mit den Merkmalen "
                        "Hauptwohnung und nichtdeutsch (Sicht auf raw.einwohner)."),
    "stg_geodaten__adressen": Modell(
        "geografie", "Adressregister, umbenannt und typisiert, mit dem Abgleichschlüssel der "
                     "Adresse (Sicht auf raw.adressen)."),
    "stg_geodaten__gemeinden": Modell(
        "geografie", "Namen der Gemeinden (achtstelliger AGS) und des Kreises aus der "
                     "Konfiguration (Sicht auf raw.gemeinden)."),
    "stg_geodaten__raumgliederung": Modell(
        "geografie", "Flächen der Raumgliederungen je Version und Raum, umbenannt (Sicht auf "
                     "raw.raumgliederung)."),
    "stg_gesundheitsamt__seu": Modell(
        "gesundheit", "Schuleingangsuntersuchung: je untersuchtem Kind eine Zeile, die "
                      "Befunde als Ja/Nein-Merkmale (Sicht auf raw.seu)."),
    "stg_jobcenter__sgb2": Modell(
        "sgb2", "Personen in Bedarfsgemeinschaften nach dem SGB II am Stichtag, umbenannt "
                "und typisiert (Sicht auf raw.sgb2)."),
    "stg_jugendamt__hze": Modell(
        "jugendhilfe", "Hilfen zur Erziehung: jeder Fall, der im Kalenderjahr des Stichtags "
                       "lief (Sicht auf raw.hze).", _J),
    "stg_jugendamt__kita": Modell(
        "jugendhilfe", "Kinder in Kindertagesbetreuung am Stichtag nach Wohnort (Sicht auf "
                       "raw.kita).", _K),
    "stg_schultraeger__schulabgang": Modell(
        "bildung", "Schulabgängerinnen und Schulabgänger eines Schuljahres nach Wohnort "
                   "(Sicht auf raw.schulabgang)."),
    "stg_schultraeger__schule": Modell(
        "bildung", "Schülerinnen und Schüler der Jahrgangsstufe 5 nach Wohnort (Sicht auf "
                   "raw.schule)."),
    "stg_statistikstelle__lieferungen": Modell(
        "datenstand", "Das Lieferprotokoll ohne Dateinamen, Prüfsumme und Archivpfad: je "
                      "eingegangener Datei eine Zeile."),
    "stg_statistikstelle__quarantaene": Modell(
        "datenstand", "Die Zeilen in Quarantäne ohne den gelieferten Wert und die "
                      "Originalzeile: je Zeile und Fehler ein Eintrag."),
    # geography and address matching
    "int_geo__adressen": Modell(
        "geografie", "Adressen des Registers mit den Koordinaten des neuesten Auszugs, der sie "
                     "enthält."),
    "int_geo__adressen_raeume": Modell(
        "geografie", "Punkt in Fläche: jede Adresse des Registers genau einem Raum jeder "
                     "Raumgliederung (neueste Version) zugeordnet."),
    "int_geo__gebiet_gemeinden": Modell(
        "geografie", "Die Gemeinden, aus denen jedes Gebiet besteht (für die Abdeckung der "
                     "Lieferungen)."),
    "int_geo__gebiete": Modell(
        "geografie", "Alle Gebiete mit Indikatorwerten: Räume jeder Raumgliederung "
                     "einschließlich „ohne Zuordnung“, jede Gemeinde und der Kreis."),
    "int_geo__gemeinden": Modell(
        "geografie", "Die Gemeindeliste: jeder AGS aus Adressregister oder Einwohnerlieferung "
                     "mit Gemeinde- und Kreisnamen."),
    "int_geo__raeume": Modell(
        "geografie", "Räume der neuesten Version jeder Raumgliederung und je Gemeinde der "
                     "Pseudoraum „ohne Zuordnung“."),
    "int_geo__zuordnung_gebiete": Modell(
        "geografie", "Brücke vom Zuordnungsschlüssel einer Adresse zu jedem Gebiet, für das "
                     "sie zählt: Raum je Raumgliederung, Gemeinde und Kreis."),
    "int_adressen__abgleich": Modell(
        "geografie", "Ergebnis des Adressabgleichs für jeden Datensatz der sieben "
                     "personenbezogenen Quellen (privat)."),
    # persons
    "int_personen__einwohner": Modell(
        "bevoelkerung", "Einwohnerinnen und Einwohner je Stichtag mit Alter am Stichtag, "
                        "Merkmalen, Wohndauer und zugeordneter Adresse (privat, "
                        "Einzeldaten)."),
    "int_personen__sgb2": Modell(
        "sgb2", "Personen im SGB-II-Bezug mit Alter am Stichtag und zugeordneter Adresse "
                "(privat, Einzeldaten)."),
    "int_personen__hze": Modell(
        "jugendhilfe", "Fälle der Hilfen zur Erziehung mit Alter am Stichtag und zugeordneter "
                       "Adresse der Herkunftsfamilie (privat, Einzeldaten).", _J),
    "int_personen__kita": Modell(
        "jugendhilfe", "Kinder in Kindertagesbetreuung mit Alter am Stichtag und zugeordneter "
                       "Wohnadresse (privat, Einzeldaten).", _K),
    "int_personen__seu": Modell(
        "gesundheit", "Untersuchte Kinder der Schuleingangsuntersuchung mit Alter und "
                      "zugeordneter Adresse (privat, Einzeldaten)."),
    "int_personen__schule": Modell(
        "bildung", "Schülerinnen und Schüler der Jahrgangsstufe 5 mit Alter und zugeordneter "
                   "Wohnadresse (privat, Einzeldaten)."),
    "int_personen__schulabgang": Modell(
        "bildung", "Schulabgängerinnen und Schulabgänger mit Alter und zugeordneter "
                   "Wohnadresse (privat, Einzeldaten)."),
    # households
    "int_haushalte__verknuepfungen": Modell(
        "haushalte", "Haushaltegenerierung, Schritt 1: Verknüpfungen zwischen Personen mit "
                     "Hauptwohnung an derselben Adresse (privat)."),
    "int_haushalte__personen": Modell(
        "haushalte", "Haushaltegenerierung: jede Person mit Hauptwohnung je Stichtag mit "
                     "ihrem privaten Haushalt (privat)."),
    "int_haushalte__haushalte": Modell(
        "haushalte", "Haushaltegenerierung: je privatem Haushalt und Stichtag Größe, Paar, "
                     "Kinder und Alleinerziehende (privat)."),
    # deliveries' coverage
    "int_lieferungen__gebiet_berichtsjahre": Modell(
        "datenstand", "Abdeckung je Quelle: die Gebiete und Berichtsjahre, für die jede "
                      "Gemeinde des Gebiets geliefert hat, mit dem verwendeten Stichtag."),
    "int_lieferungen__nenner_stichtage": Modell(
        "datenstand", "Der Stichtag der Bevölkerung, die als Nenner der Lieferung einer "
                      "Gemeinde dient (Quellen sgb2, hze, kita)."),
    # indicators: numerators and denominators per Gebiet and Berichtsjahr
    "int_indikatoren__bevoelkerung": Modell(
        "bevoelkerung", "Zähler und Nenner der Indikatoren B (Bevölkerungsstruktur) je Gebiet "
                        "und Berichtsjahr, aus den Einzeldaten summiert."),
    "int_indikatoren__nenner_bevoelkerung": Modell(
        "bevoelkerung", "Bevölkerung als Nenner je Quelle (sgb2, hze, kita), Gebiet und "
                        "Berichtsjahr am Stichtag der Bevölkerung der Lieferung.",
        (JUGENDHILFEPLANUNG, KITA_BEDARFSPLANUNG)),
    "int_indikatoren__haushalte": Modell(
        "haushalte", "Zähler und Nenner der Indikatoren H (Haushalts- und Lebensformen) je "
                     "Gebiet und Berichtsjahr."),
    "int_indikatoren__sgb2": Modell(
        "sgb2", "Zähler und Nenner der Indikatoren S (Soziale Lage, SGB II) je Gebiet und "
                "Berichtsjahr."),
    "int_indikatoren__erziehungshilfen": Modell(
        "jugendhilfe", "Zähler und Nenner der Indikatoren E (Hilfen zur Erziehung) je Gebiet "
                       "und Berichtsjahr.", _J),
    "int_indikatoren__kinderbetreuung": Modell(
        "jugendhilfe", "Zähler und Nenner der Indikatoren K (Kinderbetreuung) je Gebiet und "
                       "Berichtsjahr.", _K),
    "int_indikatoren__gesundheit": Modell(
        "gesundheit", "Zähler und Nenner der Indikatoren G (Gesundheit und Entwicklung) je "
                      "Gebiet und Berichtsjahr, gepoolt über die Einschulungsjahrgänge."),
    "int_indikatoren__bildung": Modell(
        "bildung", "Zähler und Nenner der Indikatoren BI (Bildung) je Gebiet und "
                   "Berichtsjahr."),
    # disclosure control
    "int_geheimhaltung__zellen": Modell(
        "geheimhaltung", "Geheimhaltung, Eingang (privat): jede zu schützende veröffentlichte "
                         "Zahl als Zelle mit ihrem wahren Wert."),
    "int_geheimhaltung__relationen": Modell(
        "geheimhaltung", "Geheimhaltung, Eingang (privat): die Summen- und "
                         "Hierarchiebeziehungen zwischen den Zellen, die ein Angreifer kennt."),
    "mart_geheimhaltung_protokoll": Modell(
        "geheimhaltung", "Sperrprotokoll (privat): jede Zelle nach primärer, sekundärer und "
                         "prüfungsbedingter Sperrung, mit Sperrart und Grund."),
    "mart_geheimhaltung_audit": Modell(
        "geheimhaltung", "Angreiferprüfung (privat): für jeden gesperrten Wert das Intervall, "
                         "das ein Angreifer aus allen veröffentlichten Zahlen ableiten kann, "
                         "und ob es den Schutzbereich einhält."),
    "mart_pruefbeitrag__geheimhaltung": Modell(
        "geheimhaltung", "Prüfbeitrag der Geheimhaltung für die veröffentlichte Tabelle "
                         "qualitaet: geprüfte und ungeschützte Zellen, engstes Intervall."),
    # marts of the indicators
    "mart_indikatorwerte": Modell(
        "indikatoren", "Alle berechneten Indikatorwerte, ungeschützt (privat): Wert, Zähler, "
                       "Nenner und Status je Indikator, Gebiet und Berichtsjahr."),
    "mart_bevoelkerung": Modell(
        "bevoelkerung", "Bevölkerungstabelle (privat) nach Altersgruppe, Geschlecht und "
                        "Staatsangehörigkeit je Gebiet und Berichtsjahr."),
    "mart_hze_hilfearten": Modell(
        "jugendhilfe", "Hilfen zur Erziehung nach Hilfeart je Gebiet und Berichtsjahr, "
                       "ungeschützt (privat).", _J),
    "mart_sozialindex": Modell(
        "sozialindex", "Sozialindex (Status- und Dynamikindex mit Klassen) je Raum und "
                       "Berichtsjahr, ungeschützt (privat)."),
    # quality
    "mart_adressabgleich": Modell(
        "qualitaet", "Adressabgleich (privat): wie die Datensätze jeder Quelle je Stichtag und "
                     "Gemeinde dem Adressregister zugeordnet wurden, mit Zuordnungsquote."),
    "mart_adressen_ohne_zuordnung": Modell(
        "qualitaet", "Gelieferte Adressen ohne Treffer im Adressregister, mit Zahl der "
                     "Datensätze, zur Klärung mit Vermessung und Fachamt (privat)."),
    "mart_adressen_raumbefunde": Modell(
        "qualitaet", "Befunde des Adressregisters gegen die Raumgliederungen: Adressen ohne "
                     "Raum oder in mehreren Räumen (privat)."),
    "mart_datenstand": Modell(
        "datenstand", "Datenstand je Quelle und Gemeinde mit ungeschützten Zahlen (privat; "
                      "geschützt veröffentlicht als datenstand)."),
    "mart_pruefbeitrag__lieferungen": Modell(
        "qualitaet", "Prüfbeitrag für die veröffentlichte Tabelle qualitaet: je Quelle, ob "
                     "jede Gemeinde des Kreises geliefert hat."),
    # seed
    "indikatoren_katalog": Modell(
        "indikatoren", "Der Indikatorenkatalog (Seed): Code, Name, Bereich, Definition, "
                       "Einheit und Sensibilität jedes Indikators."),
}

# German prefixes of a derived description, by layer
_SCHICHT = {
    "staging": "Staging-Sicht",
    "intermediate": "Zwischenergebnis (privat)",
    "marts": "Auswertungstabelle (privat)",
    "published": "Veröffentlichte Tabelle",
    "seeds": "Stammdaten",
}

# Bereich of a folder below models/<layer>/ (for models missing from MODELLE)
_ORDNER = {
    "einwohnermeldeamt": "bevoelkerung", "geodaten": "geografie", "gesundheitsamt": "gesundheit",
    "jobcenter": "sgb2", "jugendamt": "jugendhilfe", "schultraeger": "bildung",
    "statistikstelle": "datenstand", "adressen": "geografie", "geo": "geografie",
    "geheimhaltung": "geheimhaltung", "haushalte": "haushalte", "indikatoren": "indikatoren",
    "lieferungen": "datenstand", "personen": "bevoelkerung", "qualitaet": "qualitaet",
}


@dataclass(frozen=True)
class Eintrag:
    """Group, owners and German description of one asset."""

    gruppe: str
    owners: list[str]
    beschreibung: str


def dbt_eintrag(props: Mapping) -> Eintrag:
    """The entry of a dbt model, seed or source (its manifest node)."""
    name = props["name"]
    if props.get("resource_type") == "source":
        gruppe = QUELLEN.get(name, "datenstand")
        return Eintrag(gruppe, raw_owners(name) if name in AMT else owners(gruppe, planung=()),
                       raw_beschreibung(name))
    path = props.get("original_file_path") or ""
    parts = path.split("/")
    schicht = parts[1] if len(parts) > 2 and parts[0] == "models" else parts[0]
    ordner = parts[2] if len(parts) > 3 else ""
    amt = AMT_DES_ORDNERS.get(ordner) if schicht == "staging" else None
    if schicht == "published":
        # what the planning units read: the Bereich veroeffentlichung, the description of
        # its yml (German, it is also the published table's comment)
        modell = MODELLE.get(name) or Modell("veroeffentlichung", None, _PUB_PLANUNG.get(name))
    else:
        modell = MODELLE.get(name) or _abgeleitet(name, schicht, ordner)
    text = modell.beschreibung or (props.get("description") or "").strip() \
        or _abgeleitet(name, schicht, ordner).beschreibung
    planung = modell.planung
    if schicht == "staging" or ordner in EINZELDATEN:
        planung = ()     # records of persons: no planning unit ever works with them
    if ordner == "personen":
        amt = AMT.get(name.split("__")[-1])     # the agency that delivered the records
    return Eintrag(modell.gruppe, owners(modell.gruppe, amt, planung), text)


# folders of dbt_spm/models/intermediate/ whose tables hold records of persons
EINZELDATEN = ("personen", "haushalte", "adressen")


# the planning units of published tables that serve some of them only
_PUB_PLANUNG = {
    "pub_hze_hilfearten": (JUGENDHILFEPLANUNG,),
    "pub_bevoelkerung": PLANUNG,
}


def _abgeleitet(name: str, schicht: str, ordner: str) -> Modell:
    """Group and German description of a model missing from MODELLE, from where it lives."""
    gruppe = _ORDNER.get(ordner, "veroeffentlichung" if schicht == "published" else "indikatoren")
    titel = name.split("__", 1)[-1].removeprefix("mart_").removeprefix("pub_")
    return Modell(gruppe, f"{_SCHICHT.get(schicht, 'Tabelle')} {titel} im Bereich "
                          f"{BEREICHE[gruppe].titel.split(':')[0]} (Modell {name} des "
                          "dbt-Projekts; noch ohne eigene Beschreibung).")

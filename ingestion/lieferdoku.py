"""Generate `docs/lieferungen.md` (German, for the agencies) from the contracts.

    python -m ingestion.lieferdoku > docs/lieferungen.md

A test compares the committed file with this output, so documentation and loaders cannot
drift apart.
"""

import sys

from ingestion.contracts import (
    AGS,
    CODE,
    DATE,
    DECIMAL,
    HOUSE_NUMBER,
    ID,
    INTEGER,
    PLZ,
    RAUMGLIEDERUNG_PROPERTIES,
    SCHULJAHR,
    TABULAR_CONTRACTS,
    TEXT,
    YEAR,
    YESNO,
    Column,
)
from ingestion.settings import Settings

KIND_LABELS = {
    ID: "Pseudonym (Text)",
    DATE: "Datum (TT.MM.JJJJ oder JJJJ-MM-TT)",
    CODE: "Code",
    AGS: "8 Ziffern",
    INTEGER: "ganze Zahl",
    DECIMAL: "Zahl (1234,56 / 1.234,56 / 1234.56)",
    HOUSE_NUMBER: "Hausnummer (12, 12a, 12 a, 12-14)",
    PLZ: "5 Ziffern",
    TEXT: "Text",
    YESNO: "J/N (auch ja/nein, 1/0, true/false)",
    YEAR: "Jahr (JJJJ)",
    SCHULJAHR: "Schuljahr (JJJJ/JJ, z. B. 2024/25)",
}

EXAMPLE_STICHTAG = {
    "adressen": "2025-12-31", "einwohner": "2025-12-31", "sgb2": "2025-12-31",
    "hze": "2025-12-31", "seu": "2025-07-31", "kita": "2025-03-01", "schule": "2025-10-15",
    "schulabgang": "2025-07-31",
}

EXAMPLE_VALUES = {
    "person_id": "7f3a9c21e4b05d88", "bg_id": "bg-4711", "fall_id": "f-2025-0815",
    "kind_id": "k-55a1", "schueler_id": "s-90b2", "ehegatte_id": "", "elternteil1_id": "",
    "elternteil2_id": "", "geburtsdatum": "14.03.2014", "staatsangehoerigkeit": "000",
    "weitere_staatsangehoerigkeit": "", "zuzug_datum": "01.08.2019", "ags": "05999004",
    "strasse": "Mühlenstr.", "hausnummer": "12a", "hausnummer_zusatz": "", "plz": "32756",
    "ostwert": "480123,45", "nordwert": "5760456,78", "beginn": "01.02.2025", "ende": "",
    "kosten_euro": "18.450,00", "untersuchungsdatum": "12.03.2025", "einschulungsjahr": "2025",
    "geburtsdatum_seu": "14.03.2019", "einrichtung_id": "KITA-017", "wochenstunden": "35",
    "betreuungsbeginn": "01.08.2023", "schuljahr": "2025/26", "schuljahr_abgang": "2024/25",
}


def _example(column: Column, source: str) -> str:
    if source == "seu" and column.name == "geburtsdatum":
        return EXAMPLE_VALUES["geburtsdatum_seu"]
    if source == "kita" and column.name == "geburtsdatum":
        return "02.05.2022"
    if source == "schulabgang" and column.name == "schuljahr":
        return EXAMPLE_VALUES["schuljahr_abgang"]
    if source == "schulabgang" and column.name == "geburtsdatum":
        return "20.09.2008"
    if column.name in EXAMPLE_VALUES:
        return EXAMPLE_VALUES[column.name]
    if column.kind == YESNO:
        return "N"
    if column.kind == CODE and column.codes:
        return column.codes[0] if column.name != "hilfeart" else "31"
    return ""


def _section(source: str) -> list[str]:
    contract = TABULAR_CONTRACTS[source]
    stichtag = EXAMPLE_STICHTAG[source]
    out = [f"## `{source}` – {contract.description}", ""]
    out.append(f"Dateiname: `{source}_<JJJJ-MM-TT>[_<freier Text>].csv` oder `.xlsx`, "
               f"z. B. `{source}_{stichtag}.csv`; das Datum ist der Stichtag "
               f"({contract.stichtag_note}).")
    if contract.key:
        out.append(f"Eindeutig je Lieferung: {', '.join(f'`{k}`' for k in contract.key)}.")
    out += ["", "| Spalte | Pflicht | Format | Bedeutung / Codes |", "|---|---|---|---|"]
    for column in contract.columns:
        meaning = column.description.replace("|", "/")
        if column.kind == CODE and column.codes and not meaning:
            meaning = ", ".join(column.codes)
        elif column.kind == CODE and column.codes:
            meaning = f"{meaning} (erlaubt: {', '.join(column.codes)})"
        if column.minimum is not None:
            meaning = f"{meaning}; mindestens {column.minimum:g}"
        out.append(f"| `{column.name}` | {'ja' if column.required else 'nein'} | "
                   f"{KIND_LABELS[column.kind]} | {meaning} |")
    header = ";".join(c.name for c in contract.columns)
    row = ";".join(_example(c, source) for c in contract.columns)
    out += ["", "Beispiel:", "", "```text", header, row, "```", ""]
    return out


def render() -> str:
    threshold = Settings().quarantaene_schwelle
    lines = [
        "# Datenlieferungen an die Statistikstelle",
        "",
        "<!-- Erzeugt aus ingestion/contracts.py mit `python -m ingestion.lieferdoku`; "
        "nicht von Hand ändern. -->",
        "",
        "Diese Seite beschreibt für die liefernden Stellen (Einwohnermeldeamt, Jobcenter, "
        "Jugendamt, Gesundheitsamt, Schulträger, Vermessung) das vereinbarte Format der "
        "Lieferungen. Sie wird aus denselben Definitionen erzeugt, mit denen das Warehouse "
        "die Dateien prüft.",
        "",
        "## Für alle Lieferungen",
        "",
        "- Ablage: `inbox/<quelle>/<datei>` im Home-Ordner der Statistikstelle.",
        "- Dateiname: `<quelle>_<JJJJ-MM-TT>[_<freier Text>].csv` oder `.xlsx`; das Datum ist "
        "der Stichtag. Ein Stichtag in der Zukunft oder ein ungültiges Datum weist die Datei ab.",
        "- Zeichenkodierung: UTF-8 (mit oder ohne BOM) oder Windows-1252, wird erkannt; "
        "andere Kodierungen werden abgewiesen.",
        "- Trennzeichen: Semikolon (`;`); Komma oder Tabulator werden akzeptiert, wenn die "
        "Kopfzeile eindeutig ist.",
        "- Kopfzeile: erste Zeile, Spaltennamen wie unten (Groß-/Kleinschreibung egal), "
        "Reihenfolge frei. Zusätzliche Spalten werden ignoriert und als Hinweis vermerkt.",
        "- Excel (`.xlsx`): erstes Tabellenblatt, Kopfzeile in Zeile 1, dieselben Spalten.",
        "- Leere Zelle = fehlender Wert. Datum `TT.MM.JJJJ` oder `JJJJ-MM-TT`; Zahlen "
        "`1234,56`, `1.234,56` oder `1234.56`; Ja/Nein als `J`/`N` (auch `ja`/`nein`, "
        "`1`/`0`, `true`/`false`).",
        "- Eine Datei darf eine oder mehrere Gemeinden enthalten; jede Zeile nennt ihren "
        "Gemeindeschlüssel (`ags`, 8 Ziffern mit führender Null, z. B. `05999004`).",
        "- Adressen: `strasse` so, wie das Fachverfahren sie führt (`Mühlenstr.`, "
        "`Muehlenstrasse` und `Mühlen-Straße` werden alle der Registerschreibweise "
        "`Mühlenstraße` zugeordnet), `hausnummer` `12`, `12a`, `12 a` oder `12-14` (die erste "
        "Zahl zählt). Eine Adresse, die im Adressregister nicht gefunden wird, geht nicht "
        "verloren: der Datensatz zählt für Gemeinde und Kreis und im Raum „ohne Zuordnung“.",
        "- Personenkennungen sind Pseudonyme, nie Namen. Die Statistikstelle verschlüsselt sie "
        "beim Laden ein zweites Mal mit einem geheimen Schlüssel.",
        "",
        "## Was bei Fehlern geschieht",
        "",
        "- **Die ganze Datei wird abgewiesen** (nichts wird geladen), wenn der Dateiname nicht "
        "passt, die Kodierung unbekannt ist, eine Pflichtspalte fehlt oder doppelt vorkommt, "
        f"die Datei leer ist oder mehr als {threshold:.0%} ihrer Zeilen fehlerhaft sind. Die "
        "Meldung nennt Datei, Zeile, Spalte und Wert.",
        "- **Einzelne fehlerhafte Zeilen** kommen in die Quarantäne der Statistikstelle (mit "
        "Zeilennummer, Spalte, Grund und Originalzeile) und werden nicht geladen: ungültiges "
        "Datum (z. B. 31.02.), unbekannter Code, fehlender Pflichtwert, Datum nach dem "
        "Stichtag, Geburtsdatum mit einem Alter über 115 Jahren, ein Schlüssel, der in der "
        "Lieferung mehrfach vorkommt (alle Zeilen mit diesem Schlüssel), Ende vor Beginn, "
        "negative Beträge, Hausnummer ohne Zahl, Zeile mit zu wenigen oder zu vielen Feldern.",
        "- Jede Datei wird unverändert archiviert. Dieselbe Datei ein zweites Mal ändert nichts. "
        "Eine neue Datei für dieselbe Quelle, denselben Stichtag und dieselbe Gemeinde ersetzt "
        "die frühere vollständig.",
        "- Liefert ein Fachverfahren andere Spaltennamen oder Codes, übersetzt eine "
        "Zuordnungsdatei `config/mappings/<quelle>.yaml` der Statistikstelle sie "
        "(`spalten:` alter Name → Spaltenname, `werte:` Spalte → alter Wert → Code); ein "
        "Code, der danach nicht zur Liste passt, ist ein Zeilenfehler.",
        "",
    ]
    for source in TABULAR_CONTRACTS:
        if source == "adressen":
            continue
        lines += _section(source)
    lines += _section("adressen")
    lines += [
        "## `raumgliederung` – kleinräumige Gliederungen (GeoJSON)",
        "",
        "Dateiname: `raumgliederung_<gliederung>_<gültig ab JJJJ-MM-TT>.geojson`, z. B. "
        "`raumgliederung_sozialraum_2020-01-01.geojson`. Eine FeatureCollection aus Polygon- "
        "oder MultiPolygon-Features in ETRS89/UTM 32N (EPSG:25832); EPSG:4326 ist erlaubt, wenn "
        "die Datei es angibt. Jede Gemeinde braucht die Gliederung `sozialraum`; weitere "
        "(`planungsraum`, `stadtteil`, …) sind möglich.",
        "",
        "| Eigenschaft | Pflicht | Bedeutung |",
        "|---|---|---|",
    ]
    for column in RAUMGLIEDERUNG_PROPERTIES:
        lines.append(f"| `{column.name}` | {'ja' if column.required else 'nein'} | "
                     f"{column.description} |")
    lines += [
        "",
        "Abgewiesen wird die ganze Datei bei einer ungültigen Geometrie, einem Feature, das "
        "kein Polygon ist, fehlender oder doppelter `raum_id`, fehlendem `raum_name` und bei "
        "Räumen, die sich überlappen (jede Adresse muss genau einem Raum angehören).",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.stdout.write(render())

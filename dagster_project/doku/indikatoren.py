"""Generate `docs/indikatoren.md` (German, for the statistics office and planning units)
from the indicator catalogue, the seed `dbt_spm/seeds/indikatoren_katalog.csv`.

    python -m dagster_project.doku.indikatoren > docs/indikatoren.md     (or: make doku)

A test compares the committed file with this output, so the page cannot drift from the
catalogue. The page does not depend on the seed's `berechnet` column (which indicators are
computed yet); the Stichtag rules per source follow shared/spec/indicators.md
("Berichtsjahr", "Population denominators") and docs/decisions.md ("Stichtage and
Berichtsjahre per source"); the pool of the G indicators is the setting `seu_pool_jahre`
(`config/settings.yaml`, passed to dbt as a variable), documented with its default; so
are the disclosure rules (setting `geheimhaltung`: only a sensitive numerator is protected,
one status `gesperrt` for every suppressed value, the denominator is always published).
"""

import csv
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from dagster_project.lib.geheimhaltung.config import GeheimhaltungConfig
from ingestion.settings import Settings

REPO = Path(__file__).resolve().parents[2]
KATALOG = REPO / "dbt_spm" / "seeds" / "indikatoren_katalog.csv"

# Stichtag and Berichtsjahr of each delivering source (the numerator's source)
STICHTAGSREGEL = {
    "einwohner": (
        "Stichtag der Einwohnerdaten (üblicherweise 31.12.); Berichtsjahr ist das Jahr des "
        "Stichtags. Liefert eine Gemeinde in einem Jahr mehrere Stichtage, gilt ihr letzter "
        "Stichtag des Jahres."
    ),
    "sgb2": (
        "Stichtag der Lieferung des Jobcenters (31.12.); Berichtsjahr ist das Jahr des "
        "Stichtags."
    ),
    "hze": (
        "Stichtag 31.12.; die Lieferung enthält jeden Fall, der im Kalenderjahr aktiv war. "
        "Berichtsjahr ist das Jahr des Stichtags; „laufend“ heißt Beginn am oder vor dem "
        "Stichtag und Ende leer oder am oder nach dem Stichtag, „im Jahr“ heißt im "
        "Kalenderjahr des Berichtsjahres."
    ),
    "kita": (
        "Stichtag 01.03.; Berichtsjahr ist das Jahr des Stichtags (01.03.2025 → 2025)."
    ),
    "seu": (
        "Stichtag am Ende der Untersuchungskampagne (31.07.; Untersuchungen vom 01.10. des "
        "Vorjahres bis 30.06.); Berichtsjahr ist das Einschulungsjahr."
    ),
    "schule": (
        "Stichtag 15.10.; Berichtsjahr ist das erste Jahr des Schuljahres (2024/25 → 2024)."
    ),
    "schulabgang": (
        "Stichtag 31.07.; Berichtsjahr ist das zweite Jahr des Schuljahres, in dem die "
        "Schule verlassen wurde (2023/24 → 2024)."
    ),
}

# the denominator when it is the population of the residents register
NENNER_BEVOELKERUNG = (
    "Nenner aus den Einwohnerdaten: Einwohnerinnen und Einwohner mit Hauptwohnsitz vom "
    "letzten Stichtag der Einwohnerdaten am oder vor dem Stichtag der Lieferung und höchstens "
    "12 Monate davor (Kita 01.03.2025 → Bevölkerung 31.12.2024); gibt es keinen, hat der Wert "
    "den Status `kein_nenner`."
)

POLARITAET = {
    "+": "`+` – ein hoher Wert bedeutet eine höhere Belastung",
    "-": "`-` – ein hoher Wert bedeutet eine geringere Belastung",
    "": "keine Wertung",
}


def _zahl(faktor: int) -> str:
    return f"{faktor:,}".replace(",", ".")


def _berechnung(einheit: str, faktor: int) -> str:
    if einheit == "Anzahl":
        return "Anzahl (Wert = Zähler)"
    if faktor == 1:
        return f"{einheit} (Wert = Zähler / Nenner)"
    return f"{einheit} (Wert = {_zahl(faktor)} × Zähler / Nenner)"


def _quellen(quelle: str) -> list[str]:
    """The source keys named in parentheses in the catalogue's `quelle` text, in order."""
    return re.findall(r"\((\w+)\)", quelle)


def read_katalog(path: Path = KATALOG) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def seu_pool_jahre() -> int:
    """The default of the setting `seu_pool_jahre` (Einschulungsjahrgänge per pool)."""
    return Settings().seu_pool_jahre


def stichtagsregel(row: dict[str, str]) -> str:
    quellen = _quellen(row["quelle"])
    if not quellen or quellen[0] not in STICHTAGSREGEL:
        raise ValueError(f"{row['code']}: keine Stichtagsregel für die Quelle {row['quelle']!r}")
    text = STICHTAGSREGEL[quellen[0]]
    if row["code"] == "B10":
        text += (" Verglichen wird mit dem Stichtag des Vorjahres, beide Jahre auf dem "
                 "aktuellen Stand der Raumgliederung; im ersten Berichtsjahr gibt es keinen "
                 "Wert (`kein_nenner`).")
    if "einwohner" in quellen[1:]:
        text += " " + NENNER_BEVOELKERUNG
    return text


def pool_hinweis(pool_jahre: int) -> str:
    vorjahre = pool_jahre - 1
    return (
        f"Gepoolt: die Schuleingangsuntersuchung erfasst je Sozialraum nur wenige Kinder im "
        f"Jahr, daher werden Zähler und Nenner über {pool_jahre} Einschulungsjahrgänge "
        f"zusammengefasst, das Berichtsjahr und die {vorjahre} vorangehenden (Einstellung "
        f"`seu_pool_jahre` in `config/settings.yaml`, Voreinstellung {pool_jahre}), auf jeder "
        f"Ebene gleich. Die Spalte `bezugszeitraum` nennt die tatsächlich zusammengefassten "
        f"Jahre (z. B. „2022–2024“ beim Berichtsjahr 2024; am Anfang einer Reihe weniger)."
    )


@dataclass(frozen=True)
class Sperrregeln:
    """The defaults of the disclosure rules named on the page (settings `geheimhaltung:`)."""

    min_count: int = 3
    min_nenner: int = 10
    dominanz_anteil: float = 0.85

    @property
    def kleine_zahl(self) -> str:
        """The counts that are suppressed, German: "1 oder 2" for min_count 3."""
        if self.min_count <= 2:
            return "1"
        if self.min_count == 3:
            return "1 oder 2"
        return f"1 bis {self.min_count - 1}"


def sperrregeln() -> Sperrregeln:
    """The defaults of the setting `geheimhaltung` (config/settings.yaml)."""
    config = GeheimhaltungConfig()
    return Sperrregeln(int(config.min_count), int(config.min_nenner),
                       float(config.dominanz_anteil))


def _geheimhaltung(row: dict[str, str], sensibel: bool, regeln: Sperrregeln) -> str:
    """The disclosure rule of one indicator (indicators.md, privacy-and-publishing.md): only
    a sensitive numerator is protected, the denominator is always published."""
    if not sensibel:
        return "nicht sensibel – wird ohne Geheimhaltungsprüfung veröffentlicht"
    klein = regeln.kleine_zahl
    if row["einheit"].startswith("EUR"):
        regel = (f"die Geldsumme im Zähler wird gesperrt, wenn weniger als {regeln.min_count} "
                 f"Fälle beitragen oder ein Fall mehr als {regeln.dominanz_anteil * 100:g} % "
                 "ausmacht")
    elif row["nenner"].strip():
        regel = (f"ein Zähler von {klein} wird gesperrt, ebenso ein Zähler bei einem Nenner "
                 f"unter {regeln.min_nenner} oder wenn nur {klein} des Nenners nicht "
                 "betroffen sind")
    else:
        regel = f"eine Anzahl von {klein} wird gesperrt"
    text = (f"sensibel – der Zähler unterliegt der statistischen Geheimhaltung: {regel} "
            "(Voreinstellungen), dazu Werte, aus denen sich ein gesperrter Wert "
            "zurückrechnen ließe; gesperrt heißt Zähler und Wert leer, Status `gesperrt`, in "
            "Excel „•“")
    return text + (". Der Nenner wird immer veröffentlicht" if row["nenner"].strip() else "")


def sensible_indikatoren(katalog: list[dict[str, str]]) -> str:
    """The sensitive indicators per Bereich, German: a whole Bereich by name, else codes."""
    parts = []
    for bereich in dict.fromkeys(row["bereich"] for row in katalog):
        rows = [row for row in katalog if row["bereich"] == bereich]
        codes = [row["code"] for row in rows if row["sensibel"].strip().lower() == "true"]
        if codes and len(codes) == len(rows):
            parts.append(f"alle Indikatoren „{bereich}“ ({codes[0]}–{codes[-1]})")
        elif codes:
            parts.append(f"aus „{bereich}“: {', '.join(codes)}")
    return "; ".join(parts) if parts else "keine"


def _section(row: dict[str, str], pool_jahre: int, regeln: Sperrregeln) -> list[str]:
    sensibel = row["sensibel"].strip().lower() == "true"
    out = [f"### {row['code']} – {row['name']}", ""]
    out.append(f"- **Bereich:** {row['bereich']}")
    out.append(f"- **Definition:** {row['definition']}")
    out.append(f"- **Zähler:** {row['zaehler']}")
    out.append(f"- **Nenner:** {row['nenner'] or '– (Anzahl)'}")
    out.append(f"- **Einheit:** {_berechnung(row['einheit'], int(row['faktor']))}")
    out.append(f"- **Quelle:** {row['quelle']}")
    out.append(f"- **Stichtag und Berichtsjahr:** {stichtagsregel(row)}")
    out.append(f"- **Polarität:** {POLARITAET[row['richtung'].strip()]}")
    out.append("- **Geheimhaltung:** " + _geheimhaltung(row, sensibel, regeln))
    if "seu" in _quellen(row["quelle"]):
        out.append(f"- **Bezugszeitraum:** {pool_hinweis(pool_jahre)}")
    out.append("")
    return out


def render(katalog: list[dict[str, str]] | None = None, pool_jahre: int | None = None,
           regeln: Sperrregeln | None = None) -> str:
    katalog = read_katalog() if katalog is None else katalog
    pool_jahre = seu_pool_jahre() if pool_jahre is None else pool_jahre
    regeln = sperrregeln() if regeln is None else regeln
    lines = [
        "# Indikatorenkatalog",
        "",
        "<!-- Erzeugt aus dbt_spm/seeds/indikatoren_katalog.csv mit "
        "`python -m dagster_project.doku.indikatoren` (oder `make doku`); nicht von Hand "
        "ändern. -->",
        "",
        "Diese Seite beschreibt für die Statistikstelle und die Planungsstellen jeden "
        "Indikator des Sozialraummonitorings. Sie wird aus demselben Katalog erzeugt, aus dem "
        "das Warehouse die Werte berechnet und die Tabelle `indikatoren` veröffentlicht.",
        "",
        "## Für alle Indikatoren",
        "",
        "- Jeder Indikator wird für jeden Raum jeder Raumgliederung (einschließlich „ohne "
        "Zuordnung“ je Gemeinde), für jede Gemeinde und für den Kreis berechnet, für jedes "
        "Berichtsjahr, für das die Quelle geliefert hat. Zähler und Nenner eines Raums sind "
        "Summen über die Einzeldaten dieses Raums, nie Mittelwerte kleinerer Räume; der Kreis "
        "ist die Summe seiner Gemeinden.",
        "- Verwendet wird jeweils die neueste Fassung jeder Raumgliederung, auch für frühere "
        "Berichtsjahre.",
        "- Alter: vollendete Lebensjahre am Stichtag des jeweiligen Datensatzes (wer am "
        "31.12.2006 geboren ist, ist am 31.12.2024 18 Jahre alt; am 29. Februar Geborene "
        "werden in Jahren ohne 29. Februar am 1. März ein Jahr älter). Altersgruppen sind "
        "halboffen: „unter 18“ heißt 0 bis 17 Jahre.",
        "- Bevölkerung: Einwohnerinnen und Einwohner mit Hauptwohnsitz (alleinige oder "
        "Hauptwohnung) laut Melderegister.",
        "- Raumzuordnung über die Adresse am Stichtag; eine Adresse, die im Adressregister "
        "nicht gefunden wird, zählt für Gemeinde und Kreis und in der Gemeinde im Raum „ohne "
        "Zuordnung“.",
        "- Wert = Faktor × Zähler / Nenner (Prozent: 100, „je 1.000“: 1.000, „je 10.000“: "
        "10.000); gespeichert ungerundet (spm.duckdb, Parquet, PostgreSQL), in Excel, CSV "
        "und den Berichten angezeigt mit einer Nachkommastelle (Anzahlen ganzzahlig) und "
        "Dezimalkomma.",
        "- Status jedes Werts: `ok`; `kein_nenner` (Nenner fehlt oder ist 0, kein Wert); "
        "`keine_daten` (für den Raum liegt in diesem Jahr keine Lieferung vor); `gesperrt` "
        "(Wert aus Gründen der Geheimhaltung gesperrt: Zähler und Wert sind leer, in Excel "
        "„•“; ein Status für jeden gesperrten Wert, gleich ob er selbst auf einer zu kleinen "
        "Fallzahl beruht oder einen anderen gesperrten Wert schützt). Der Nenner wird immer "
        "veröffentlicht.",
        f"- Sensibel (Spalte „sensibel“) ist nur der Zähler dieser Indikatoren: "
        f"{sensible_indikatoren(katalog)}. Alle Nenner und alle übrigen Indikatoren werden "
        "ohne Geheimhaltung veröffentlicht.",
        "- Polarität: `+` ein hoher Wert bedeutet eine höhere Belastung, `-` eine geringere "
        "Belastung; ohne Angabe keine Wertung.",
        "",
        "## Übersicht",
        "",
        "| Code | Name | Einheit | Polarität | sensibel |",
        "|---|---|---|---|---|",
    ]
    for row in katalog:
        sensibel = "ja" if row["sensibel"].strip().lower() == "true" else "nein"
        lines.append(f"| [{row['code']}](#{_anker(row)}) | {row['name']} | {row['einheit']} | "
                     f"{row['richtung'].strip() or 'keine'} | {sensibel} |")
    lines.append("")
    bereiche: list[str] = []
    for row in katalog:
        if row["bereich"] not in bereiche:
            bereiche.append(row["bereich"])
    for bereich in bereiche:
        lines += [f"## {bereich}", ""]
        for row in katalog:
            if row["bereich"] == bereich:
                lines += _section(row, pool_jahre, regeln)
    return "\n".join(lines)


def _anker(row: dict[str, str]) -> str:
    """The anchor GitHub-style Markdown gives the heading `### <code> – <name>`."""
    text = f"{row['code']} – {row['name']}".lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


if __name__ == "__main__":
    sys.stdout.write(render())

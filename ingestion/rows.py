"""Row checks of tabular deliveries, set-wise in DuckDB: every broken contract rule becomes
a quarantine entry.

Input is the session table `delivery_cells` (ingestion.readers): one row per delivered
record, every cell trimmed text. `check_rows` writes two more session tables:

* `delivery_rows`: `line_no`, `original_line` and every column of the raw table typed as
  the raw table has it (identifiers still as delivered: they are hashed on insert);
* `delivery_errors`: `line_no`, `seq` (order of the rule), `column_name`, `value` (the
  delivered cell), `reason` (German).

The rules are those of shared/spec/contracts.md and docs/decisions.md; each rule is one SQL
condition, so a file of any size costs a few scans in DuckDB, not a Python loop per row.
"""

from dataclasses import dataclass
from datetime import date

import pandas as pd

from ingestion.addresses import normalise_street
from ingestion.contracts import (
    AGS,
    CODE,
    DATE,
    DECIMAL,
    HOUSE_NUMBER,
    INTEGER,
    PLZ,
    SCHULJAHR,
    YEAR,
    YESNO,
    Contract,
    raw_columns,
)
from ingestion.readers import CELLS, WHITESPACE

ROWS = "delivery_rows"
ERRORS = "delivery_errors"

_YES = ("j", "ja", "1", "true", "wahr", "y", "yes")
_NO = ("n", "nein", "0", "false", "falsch", "no")
# RE2 (DuckDB) has no look-ahead: "a letter not followed by another letter" is spelt out as
# the letter plus a following non-letter or the end; the suffix is group 3.
_HOUSE_NUMBER = r"^(\d+)[{ws}]*(([a-z])([^a-z]|$))?"


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _in(values) -> str:
    return "(" + ", ".join(_quote(v) for v in values) + ")"


@dataclass(frozen=True)
class _Rule:
    column: str          # column named in the quarantine
    condition: str       # SQL over delivery_rows, true where the row breaks the rule
    reason: str
    value: str | None = None   # SQL of the reported value; default: the delivered cell


def year_range(stichtag: date) -> tuple[int, int]:
    """Plausible values of a year column (e.g. `einschulungsjahr`) for a delivery's Stichtag."""
    return stichtag.year - 1, stichtag.year + 1


def completed_years_sql(born: str, stichtag: date) -> str:
    """SQL of the age in completed years at the Stichtag of the DATE expression `born`
    (a birthday on the Stichtag counts; born on 29 February: one year older on 1 March)."""
    return (f"({stichtag.year} - year({born}) - case when month({born}) * 100 + day({born}) > "
            f"{stichtag.month * 100 + stichtag.day} then 1 else 0 end)")


def _date_sql(v: str) -> str:
    """`TT.MM.JJJJ` or `JJJJ-MM-TT` to DATE; anything else, and impossible dates, NULL."""
    parsed = (f"case when regexp_full_match({v}, '\\d{{1,2}}\\.\\d{{1,2}}\\.\\d{{4}}') "
              f"then try_strptime({v}, '%d.%m.%Y') "
              f"when regexp_full_match({v}, '\\d{{4}}-\\d{{2}}-\\d{{2}}') "
              f"then try_strptime({v}, '%Y-%m-%d') end")
    # year 0000 is no date (DuckDB would read it as 1 BC)
    return f"(case when year({parsed}) >= 1 then ({parsed})::date end)"


def _decimal_sql(v: str) -> str:
    """`1234,56`, `1.234,56`, `1.234.567` or `1234.56` to DOUBLE; anything else NULL."""
    comma = (f"(contains({v}, ',') and regexp_full_match({v}, "
             f"'-?\\d{{1,3}}(\\.\\d{{3}})*(,\\d+)?|-?\\d+(,\\d+)?'))")
    return (f"(case when regexp_full_match({v}, '-?\\d+(\\.\\d+)?') then try_cast({v} as double) "
            f"when regexp_full_match({v}, '-?\\d{{1,3}}(\\.\\d{{3}}){{2,}}') "
            f"then try_cast(replace({v}, '.', '') as double) "
            f"when {comma} then try_cast(replace(replace({v}, '.', ''), ',', '.') as double) end)")


def _typed_and_rules(contract: Contract, present: list[str], stichtag: date,
                     max_age: int) -> tuple[dict[str, str], list[_Rule]]:
    """SQL of every raw column (over `c`, the cells) and the row rules, in the rules' order."""
    typed: dict[str, str] = {}
    rules: list[_Rule] = []
    day = f"date '{stichtag.isoformat()}'"
    for column in contract.columns:
        name = column.name
        if name not in present:
            if column.kind != HOUSE_NUMBER:
                typed[name] = "null"
            continue
        v = f'c."{name}"'
        filled = f"{v} <> ''"
        if column.required:
            rules.append(_Rule(name, f"{v} = ''", "Pflichtwert fehlt"))
        if column.kind == DATE:
            typed[name] = _date_sql(v)
            rules.append(_Rule(name, f"{filled} and \"{name}\" is null",
                               "ungültiges Datum (erwartet TT.MM.JJJJ oder JJJJ-MM-TT)"))
            rules.append(_Rule(name, f"\"{name}\" > {day}", "Datum liegt nach dem Stichtag"))
        elif column.kind == CODE and column.codes:
            mapped = ("(case lower(" + v + ") "
                      + " ".join(f"when {_quote(c.lower())} then {_quote(c)}" for c in column.codes)
                      + f" else {v} end)")
            typed[name] = f"(case when {filled} then {mapped} end)"
            rules.append(_Rule(name, f"{filled} and \"{name}\" not in {_in(column.codes)}",
                               f"unbekannter Code (erlaubt: {', '.join(column.codes)})"))
        elif column.kind == CODE:
            typed[name] = f"nullif({v}, '')"
            rules.append(_Rule(name, f"{filled} and not regexp_full_match({v}, '\\d{{3}}')",
                               "unbekannter Code (erwartet: 3-stelliger Schlüssel)"))
        elif column.kind == AGS:
            typed[name] = (f"(case when {filled} then (case when length({v}) < 8 "
                           f"then lpad({v}, 8, '0') else {v} end) end)")
            rules.append(_Rule(name, f"{filled} and not regexp_full_match({v}, '\\d{{7,8}}')",
                               "ungültiger Gemeindeschlüssel (8 Ziffern)"))
        elif column.kind == PLZ:
            typed[name] = f"nullif({v}, '')"
            rules.append(_Rule(name, f"{filled} and not regexp_full_match({v}, '\\d{{5}}')",
                               "ungültige Postleitzahl (5 Ziffern)"))
        elif column.kind == DECIMAL:
            typed[name] = _decimal_sql(v)
            rules.append(_Rule(name, f"{filled} and \"{name}\" is null", "keine gültige Zahl"))
            if column.minimum is not None:
                rules.append(_Rule(name, f"\"{name}\" < {column.minimum!r}",
                                   f"Wert kleiner als {column.minimum:g} (nicht erlaubt)"))
        elif column.kind == YESNO:
            typed[name] = (f"(case when lower({v}) in {_in(_YES)} then true "
                           f"when lower({v}) in {_in(_NO)} then false end)")
            rules.append(_Rule(name, f"{filled} and \"{name}\" is null",
                               "kein Ja/Nein-Wert (erwartet J oder N)"))
        elif column.kind == YEAR:
            low, high = year_range(stichtag)
            typed[name] = f"(case when regexp_full_match({v}, '\\d{{4}}') then try_cast({v} as integer) end)"
            rules.append(_Rule(name, f"{filled} and \"{name}\" is null",
                               "keine Jahreszahl (erwartet JJJJ)"))
            rules.append(_Rule(name, f"\"{name}\" not between {low} and {high}",
                               f"Jahr unplausibel (erwartet {low} bis {high})"))
        elif column.kind == SCHULJAHR:
            typed[name] = f"nullif({v}, '')"
            valid = (f"(regexp_full_match({v}, '\\d{{4}}/\\d{{2}}') and "
                     f"(try_cast({v}[1:4] as integer) + 1) % 100 = try_cast({v}[6:7] as integer))")
            rules.append(_Rule(name, f"{filled} and not {valid}",
                               "kein gültiges Schuljahr (erwartet z. B. 2024/25)"))
        elif column.kind == INTEGER:
            typed[name] = f"try_cast({v} as integer)"
            rules.append(_Rule(name, f"{filled} and \"{name}\" is null", "keine ganze Zahl"))
        elif column.kind == HOUSE_NUMBER:
            pattern = _quote(_HOUSE_NUMBER.format(ws=WHITESPACE.replace("\n", "\\n")))
            text = f"lower({v})"
            digits = f"regexp_extract({text}, {pattern}, 1)"
            suffix = f"regexp_extract({text}, {pattern}, 3)"
            if "hausnummer_zusatz" in present:
                suffix = f"coalesce(nullif(lower(c.\"hausnummer_zusatz\"), ''), {suffix})"
            # -1 where the number is missing or invalid (the row is quarantined then)
            typed["hausnummer"] = f"coalesce(try_cast({digits} as integer), -1)"
            typed["hausnummer_zusatz_norm"] = suffix
            rules.append(_Rule(name, f"{filled} and {digits} = ''", "Hausnummer enthält keine Zahl"))
            rules.append(_Rule(name, f"{digits} <> '' and try_cast({digits} as integer) is null",
                               "Hausnummer ist zu groß"))
        else:  # ID, TEXT
            typed[name] = f"nullif({v}, '')"
        if name == "strasse":
            typed["strasse_norm"] = "coalesce(s.strasse_norm, '')"
            rules.append(_Rule("strasse", f"strasse_norm = '' and {v} <> ''",
                               "Straßenname enthält keine Buchstaben oder Ziffern"))

    if "geburtsdatum" in present:
        age = completed_years_sql("geburtsdatum", stichtag)
        rules.append(_Rule("geburtsdatum", f"geburtsdatum <= {day} and {age} > {max_age}",
                           f"Alter über {max_age} Jahre am Stichtag"))
    if "ende_nach_beginn" in contract.extra_checks and {"ende", "beginn"} <= set(present):
        rules.append(_Rule("ende", "ende < beginn", "Ende liegt vor dem Beginn"))
    if contract.key and all(k in typed for k in contract.key):
        keys = ", ".join(f'"{k}"' for k in contract.key)
        complete = " and ".join(f'"{k}" is not null' for k in contract.key)
        column = contract.key[0] if len(contract.key) == 1 else "strasse"
        rules.append(_Rule(
            column, f"{complete} and count(*) over (partition by {keys}) > 1",
            f"Schlüssel ({', '.join(contract.key)}) mehrfach in der Lieferung",
            value=" || ' | ' || ".join(f'"{k}"::varchar' for k in contract.key)))
    return typed, rules


def check_rows(con, contract: Contract, present: list[str], stichtag: date,
               max_age: int = 115) -> None:
    """Type the cells of `delivery_cells` into `delivery_rows` and list every broken rule
    in `delivery_errors` (columns of the contract only)."""
    typed, rules = _typed_and_rules(contract, present, stichtag, max_age)
    streets = ""
    if "strasse" in present:
        # the street match key in Python (ingestion.addresses), once per distinct name
        names = [r[0] for r in con.execute(f"select distinct strasse from {CELLS}").fetchall()]
        frame = pd.DataFrame({"strasse": names,
                              "strasse_norm": [normalise_street(n) for n in names]}, dtype="str")
        con.register("delivery_streets_frame", frame)
        streets = "left join delivery_streets_frame s on s.strasse = c.strasse"
    columns = [name for name, _ in raw_columns(contract)
               if name not in ("delivery_id", "line_no", "stichtag")]
    select = ", ".join(f"{typed.get(name, 'null')} as \"{name}\"" for name in columns)
    raw_values = ", ".join(f'c."{name}" as "v_{name}"' for name in present)
    try:
        con.execute(f"""
            create or replace temp table {ROWS} as
            select c.line_no, c.original_line, c.ragged, {select}, {raw_values}
            from {CELLS} c {streets}""")
    finally:
        if streets:
            con.unregister("delivery_streets_frame")
    parts = [f"select line_no, 0 as seq, null::varchar as column_name, null::varchar as value, "
             f"'Zeile hat nicht so viele Felder wie die Kopfzeile (abgeschnitten?)' as reason "
             f"from {ROWS} where ragged"]
    for seq, rule in enumerate(rules, start=1):
        value = rule.value or f'"v_{rule.column}"'
        condition = rule.condition.replace('c."', '"v_')   # the cells are v_<name> there
        parts.append(f"select line_no, {seq}, {_quote(rule.column)}, {value}, {_quote(rule.reason)} "
                     f"from {ROWS} qualify coalesce({condition}, false)"
                     if "over (" in condition else
                     f"select line_no, {seq}, {_quote(rule.column)}, {value}, {_quote(rule.reason)} "
                     f"from {ROWS} where coalesce({condition}, false)")
    con.execute(f"create or replace temp table {ERRORS} as "
                f"select * from ({' union all '.join(parts)}) order by line_no, seq")

"""Row checks of tabular deliveries, set-wise in DuckDB: every broken contract rule becomes
a quarantine entry.

Input is a session table of cells shaped like `delivery_cells` (ingestion.readers) plus a
`file_no`: one row per delivered record of one or more files of the same source, Stichtag and
columns, every cell trimmed text. `check_rows` writes two more session tables:

* `delivery_rows`: `file_no`, `line_no`, every column of the raw table typed as the raw
  table has it (identifiers hashed where a pseudonym is given) and `fehlerhaft` (the record
  breaks a rule);
* `delivery_errors`: `file_no`, `line_no`, `seq` (order of the rule), `column_name`, `value`
  (the delivered cell), `reason` (German), `original_line` and `ags` of the record.

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
    ID,
    INTEGER,
    PLZ,
    SCHULJAHR,
    YEAR,
    YESNO,
    Contract,
    raw_columns,
)
from ingestion.pseudonyms import Pseudonymiser
from ingestion.readers import CELLS, WHITESPACE

ROWS = "delivery_rows"
# identifiers already hashed in this load (session table; the loader empties it per load);
# emptied beyond PSEUDONYM_CACHE_ROWS (a county's residents recur in every Stichtag, a
# state's single Stichtag has no repeats)
PSEUDONYM_CACHE = "delivery_pseudonym_cache"
PSEUDONYM_CACHE_ROWS = 3_000_000
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
    key: tuple[str, ...] = ()  # a rule over rows: the key whose value repeats in one file


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
    # year 0000 is no date (DuckDB would read it as 1 BC)
    return (f"(case when regexp_full_match({v}, '\\d{{1,2}}\\.\\d{{1,2}}\\.\\d{{4}}') "
            f"and not suffix({v}, '.0000') then try_strptime({v}, '%d.%m.%Y')::date "
            f"when regexp_full_match({v}, '\\d{{4}}-\\d{{2}}-\\d{{2}}') "
            f"and not prefix({v}, '0000') then try_strptime({v}, '%Y-%m-%d')::date end)")


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
        complete = " and ".join(f'"{k}" is not null' for k in contract.key)
        column = contract.key[0] if len(contract.key) == 1 else "strasse"
        rules.append(_Rule(
            column, complete, f"Schlüssel ({', '.join(contract.key)}) mehrfach in der Lieferung",
            value=" || ' | ' || ".join(f'"{k}"::varchar' for k in contract.key),
            key=tuple(contract.key)))
    return typed, rules


def check_rows(con, contract: Contract, present: list[str], stichtag: date,
               max_age: int = 115, table: str = CELLS,
               pseudonymiser: Pseudonymiser | None = None) -> None:
    """Type the records of one or more files into `delivery_rows` and list every broken rule
    in `delivery_errors` (columns of the contract only).

    `table` is a session table of cells (with `file_no`, see above). A rule over several
    rows (a key delivered twice) compares rows of one file only. `pseudonymiser` hashes the
    identifiers in `delivery_rows`; the errors keep the delivered values.

    The typed rows are written once, with a flag `fehlerhaft`; the messages are made for the
    flagged records only (every table of strings DuckDB writes costs per value, and most
    records break no rule).
    """
    typed, rules = _typed_and_rules(contract, present, stichtag, max_age)
    streets = ""
    if "strasse" in present:
        # the street match key in Python (ingestion.addresses), once per distinct name
        names = [r[0] for r in con.execute(
            f"select distinct strasse from {table}").fetchall()]
        frame = pd.DataFrame({"strasse": names,
                              "strasse_norm": [normalise_street(n) for n in names]}, dtype="str")
        con.register("delivery_streets_frame", frame)
        streets = "left join delivery_streets_frame s on s.strasse = c.strasse"
    columns = [name for name, _ in raw_columns(contract)
               if name not in ("delivery_id", "line_no", "stichtag")]
    select = ", ".join(f"{typed.get(name, 'null')} as \"{name}\"" for name in columns)
    raw_values = ", ".join(f'c."{name}" as "v_{name}"' for name in present)

    def records(source_table: str) -> str:
        return (f"select c.file_no, c.line_no, c.original_line, c.ragged, {select}, {raw_values} "
                f"from {source_table} c {streets}")

    conditions = []   # (seq, rule, SQL true where the record breaks it)
    duplicates = ""
    for seq, rule in enumerate(rules, start=1):
        condition = rule.condition.replace('c."', '"v_')   # the cells are v_<name> there
        if rule.key:
            # keys repeated within a file, found by grouping (a window over the wide rows
            # would sort all of them)
            keys = ", ".join(f'"{k}"' for k in rule.key)
            con.execute(f"""create or replace temp table delivery_doppelt as
                select file_no, {keys}, true as doppelt from ({records(table)})
                where {condition} group by all having count(*) > 1""")
            duplicates = ("left join delivery_doppelt d on d.file_no = x.file_no and "
                          + " and ".join(f'd."{k}" = x."{k}"' for k in rule.key))
            condition = "_doppelt"
        conditions.append((seq, rule, f"coalesce({condition}, false)"))
    ids = [c.name for c in contract.columns if c.kind == ID and c.name in columns] \
        if contract.person_level and pseudonymiser else []
    params, pseudonyms = {}, ""
    if ids:
        # each distinct identifier hashed once (parents and spouses repeat persons' ids);
        # identifiers hashed for an earlier batch of the same load are taken from its cache
        hash_sql, params = pseudonymiser.sql("ids.v")
        con.execute(f"""create temp table if not exists {PSEUDONYM_CACHE}
                        (v varchar, pseudonym varchar)""")
        con.execute(f"""create or replace temp table delivery_pseudonyms as
            select ids.v, k.v is null as neu,
                   case when k.v is null then {hash_sql} else k.pseudonym end as pseudonym
            from (select distinct unnest([{', '.join(f'"{n}"' for n in ids)}]) as v
                  from ({records(table)})) ids
            left join {PSEUDONYM_CACHE} k on k.v = ids.v
            where ids.v is not null""", params)
        con.execute(f"insert into {PSEUDONYM_CACHE} select v, pseudonym "
                    "from delivery_pseudonyms where neu")
        if con.execute(f"select count(*) from {PSEUDONYM_CACHE}").fetchone()[0] \
                > PSEUDONYM_CACHE_ROWS:
            con.execute(f"delete from {PSEUDONYM_CACHE}")
        pseudonyms = " ".join(f'left join delivery_pseudonyms p{i} on p{i}.v = x."{name}"'
                              for i, name in enumerate(ids))
    stored = ", ".join(f'p{ids.index(name)}.pseudonym as "{name}"' if name in ids
                       else f'x."{name}"' for name in columns)
    broken = " or ".join(["ragged"] + [condition for _, _, condition in conditions])
    try:
        con.execute(f"""
            create or replace temp table {ROWS} as
            select file_no, line_no, {stored}, {broken} as fehlerhaft, _doppelt
            from (select x.*, {"d.doppelt is not null" if duplicates else "false"} as _doppelt
                  from ({records(table)}) x {duplicates}) x {pseudonyms}""")
        con.execute(f"""
            create or replace temp table delivery_failing as
            with kaputt as (select file_no, line_no, _doppelt from {ROWS} where fehlerhaft)
            select r.*, k._doppelt
            from ({records(f"(select t.* from {table} t semi join kaputt k "
                           "on k.file_no = t.file_no and k.line_no = t.line_no)")}) r
            join kaputt k on k.file_no = r.file_no and k.line_no = r.line_no""")
    finally:
        if streets:
            con.unregister("delivery_streets_frame")
    ags = '"ags"' if "ags" in columns else "null::varchar"
    parts = [f"select file_no, line_no, 0 as seq, null::varchar as column_name, "
             f"null::varchar as value, "
             f"'Zeile hat nicht so viele Felder wie die Kopfzeile (abgeschnitten?)' as reason, "
             f"original_line, {ags} as ags from delivery_failing where ragged"]
    for seq, rule, condition in conditions:
        value = rule.value or f'"v_{rule.column}"'
        parts.append(f"select file_no, line_no, {seq}, {_quote(rule.column)}, {value}, "
                     f"{_quote(rule.reason)}, original_line, {ags} "
                     f"from delivery_failing where {condition}")
    con.execute(f"create or replace temp table {ERRORS} as "
                f"select * from ({' union all '.join(parts)}) order by file_no, line_no, seq")

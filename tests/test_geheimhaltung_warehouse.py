"""Disclosure control in the nightly run, on the `small` demo county.

The published file of the demo run (fixture `demo_run`) is attacked with the published
tables only: simple subtraction over every additive group and identity, and the LP audit
of dagster_project/audit.py fed with what is blank in the published file. The naive
variant (primary suppression only) of the same publication must fail that audit.
"""

import duckdb
import numpy as np
import pandas as pd
import pytest

from dagster_project.audit import audit
from dagster_project.geheimhaltung import GeheimhaltungConfig
from reference.compare import private_warehouse

GESPERRT = ("gesperrt", "gesperrt_sekundaer")


def query(path, sql: str, params=None) -> pd.DataFrame:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql, params or []).df()
    finally:
        con.close()


@pytest.fixture(scope="module")
def published(demo_run) -> pd.DataFrame:
    return query(demo_run.home.published_db, """
        select w.*, i.sensibel from indikatorwerte w join indikatoren i using (code)""")


@pytest.fixture(scope="module")
def private(demo_run):
    return private_warehouse(demo_run.home)


def is_sensitive(frame: pd.DataFrame) -> pd.Series:
    household_total = frame.code.str.startswith("H") & frame.gliederung.isin(["kommune", "kreis"])
    return frame.sensibel & ~household_total


def test_every_sensitive_indicator_is_published_protected(published):
    sensitive_codes = set(published.loc[published.sensibel, "code"])
    assert len(sensitive_codes) == 47          # H, S, K, E, G, BI
    shown = published[is_sensitive(published) & (published.status == "ok")]
    assert len(shown) > 1000
    assert not shown.zaehler.between(1, 2).any()
    counts = shown[shown.einheit == "Anzahl"]
    assert len(counts) > 0 and not counts.zaehler.between(1, 2).any()
    rates = shown[shown.nenner.notna() & (shown.einheit == "%")]
    assert (rates.nenner >= 10).all()
    assert not (rates.nenner - rates.zaehler).between(1, 2).any()


def test_suppressed_cells_are_blank_and_say_so(published):
    blank = published[published.status.isin(GESPERRT)]
    assert (blank.status == "gesperrt").sum() > 0
    assert (blank.status == "gesperrt_sekundaer").sum() > 0
    assert blank.wert.isna().all()
    assert blank[blank.status == "gesperrt"].zaehler.isna().all()
    # a secondary suppression hides the numerator or (only) a denominator that is itself a
    # protected count
    assert (blank.zaehler.isna() | blank.nenner.isna()).all()
    rates = blank[blank.einheit != "Anzahl"]
    assert (rates.zaehler.notna() & rates.nenner.isna()).any()
    # non-sensitive values are never suppressed by a primary rule
    assert not (published.loc[~is_sensitive(published), "status"] == "gesperrt").any()


def _groups(frame: pd.DataFrame, raeume: pd.DataFrame) -> list[pd.DataFrame]:
    """The additive groups of one code and year: (parts..., total) frames."""
    groups = []
    kommunen = frame[frame.gliederung == "kommune"].set_index("raum_id")
    kreis = frame[frame.gliederung == "kreis"]
    areas = frame[~frame.gliederung.isin(["kommune", "kreis"])]
    for _, rows in areas.groupby("gliederung"):
        crossing = rows.ags.isna() & ~rows.raum_id.str.endswith("-OZ")
        if crossing.any():
            groups.append(pd.concat([rows, kreis]))
            continue
        ags = rows.ags.fillna(rows.raum_id.str[:-3])
        for gemeinde, part in rows.groupby(ags):
            if gemeinde in kommunen.index:
                groups.append(pd.concat([part, kommunen.loc[[gemeinde]].reset_index()]))
    groups.append(pd.concat([kommunen.reset_index(), kreis]))
    return groups


def test_no_additive_group_has_a_single_blank_cell(published):
    checked = 0
    additive = published[is_sensitive(published) | published.code.str.startswith("H")]
    additive = additive[~additive.code.isin(["S02", "S08"]) & (additive.status != "keine_daten")]
    for (_, _), frame in additive.groupby(["code", "berichtsjahr"]):
        for group in _groups(frame, None):
            blanks = group.zaehler.isna() & group.status.isin(GESPERRT)
            assert blanks.sum() != 1, group[["code", "gliederung", "raum_id", "zaehler"]]
            checked += 1
    assert checked > 500


def test_identities_do_not_give_a_blank_cell_away(published):
    wide = published.pivot_table(index=["gliederung", "raum_id", "berichtsjahr"],
                                 columns="code", values=["zaehler", "nenner"], aggfunc="first",
                                 dropna=False)
    # households: H01 count = denominator of H02, H03, H07
    h01, h03n = wide[("zaehler", "H01")], wide[("nenner", "H03")]
    assert not (h01.isna() & h03n.notna()).any()
    assert not (h01.notna() & h03n.isna() & wide[("nenner", "H02")].notna()).any()
    # E01 = E02 + E03: never exactly one of the three blank
    blank = wide[[("zaehler", c) for c in ("E01", "E02", "E03")]].isna().sum(axis=1)
    known = published[published.code == "E01"].status != "keine_daten"
    assert known.any() and not (blank == 1).any()


@pytest.fixture(scope="module")
def cells(private) -> tuple[pd.DataFrame, pd.DataFrame]:
    return (query(private, "select * from intermediate.int_geheimhaltung__zellen"),
            query(private, "select * from intermediate.int_geheimhaltung__relationen"))


def _published_state(demo_run, cells: pd.DataFrame) -> pd.Series:
    """Per cell: is it blank in the published file?"""
    db = demo_run.home.published_db
    werte = query(db, "select code, gliederung, raum_id, berichtsjahr, zaehler, nenner "
                      "from indikatorwerte")
    key = ("iw|" + werte.code + "|" + werte.gliederung + "|" + werte.raum_id + "|"
           + werte.berichtsjahr.astype(str))
    blank = dict(zip(key + "|z", werte.zaehler.isna(), strict=True))
    blank.update(zip(key + "|n", werte.nenner.isna(), strict=True))
    ha = query(db, "select * from hze_hilfearten")
    for kennzahl in ("anzahl_faelle", "anzahl_laufend", "anzahl_neu", "ausgaben_euro"):
        ids = ("ha|" + ha.hilfeart + "|" + kennzahl + "|" + ha.gliederung + "|" + ha.raum_id
               + "|" + ha.berichtsjahr.astype(str))
        blank.update(zip(ids, ha[kennzahl].isna(), strict=True))
    state = cells.cell_id.map(blank)
    assert state[~cells.verborgen].notna().all()
    return state.where(~cells.verborgen, True).astype(bool)


def test_audit_of_the_published_file_passes_and_the_naive_version_fails(demo_run, cells,
                                                                       private):
    zellen, relationen = cells
    blank = _published_state(demo_run, zellen)
    assert blank.sum() > 0
    log = query(private, "select cell_id, status from marts.mart_geheimhaltung_protokoll")
    kind = zellen.cell_id.map(log.set_index("cell_id").status)
    attacker = zellen.assign(status=np.where(
        zellen.verborgen, "verborgen", np.where(blank, kind, "ok")))
    result = audit(attacker, relationen, GeheimhaltungConfig())
    assert 0 < result.geprueft <= int((blank & ~zellen.verborgen).sum())
    assert result.fehlerhaft == 0

    # naive: only the primary suppressions of the log
    primary = kind == "gesperrt"
    assert 0 < primary.sum() < blank.sum()
    naive = zellen.assign(status=np.where(zellen.verborgen, "verborgen",
                                          np.where(primary, "gesperrt", "ok")))
    result = audit(naive, relationen, GeheimhaltungConfig())
    assert result.fehlerhaft > 0


def test_audit_mart_agrees(demo_run, private, cells):
    zellen, _ = cells
    blank = _published_state(demo_run, zellen)
    audit_mart = query(private, "select * from marts.mart_geheimhaltung_audit")
    log = query(private, "select cell_id, status, zaehler from "
                         "marts.mart_geheimhaltung_protokoll").set_index("cell_id")
    # every blank cell is checked but the zeros suppressed only for others (and cells their
    # a-priori bounds fix: shares with nenner 0)
    blank_ids = set(zellen.cell_id[blank & ~zellen.verborgen])
    exempt = {c for c in blank_ids if log.status[c] == "gesperrt_sekundaer"
              and log.zaehler[c] == 0}
    assert set(audit_mart.cell_id) <= blank_ids - exempt
    assert len(audit_mart) >= 0.9 * len(blank_ids - exempt)
    assert audit_mart.geschuetzt.all()
    assert ((audit_mart.oben - audit_mart.unten) > 0).all()


def test_suppression_log_names_rules_and_reasons(private):
    log = query(private, "select * from marts.mart_geheimhaltung_protokoll")
    gesperrt = log[log.status.isin(GESPERRT)]
    assert gesperrt.grund.notna().all()
    assert log[log.status.isin(["ok", "verborgen"])].grund.isna().all()
    # the hidden slack cells of hze_hilfearten's inequalities are never published
    assert (log.status == "verborgen").sum() > 0
    assert log[log.status == "verborgen"].teil.str.startswith("schlupf_").all()
    reasons = set(gesperrt[gesperrt.status == "gesperrt"].grund.str.split(",").explode())
    assert "zaehler<3" in reasons
    assert gesperrt[gesperrt.status == "gesperrt_sekundaer"].grund.str.match(
        r"^(sekundaer|audit):").all()
    assert log.regelwerk_version.nunique() == 1 and log.regelwerk.str.contains(
        '"min_count": 3').all()


def test_hze_hilfearten_published_protected(demo_run):
    ha = query(demo_run.home.published_db, "select * from hze_hilfearten")
    assert len(ha) > 0
    for kennzahl in ("anzahl_faelle", "anzahl_laufend", "anzahl_neu"):
        assert not ha[kennzahl].between(1, 2).any()
    assert (ha.status.isin(GESPERRT)).any()
    blank_rows = ha[["anzahl_faelle", "anzahl_laufend", "anzahl_neu",
                     "ausgaben_euro"]].isna().any(axis=1) & (ha.status != "keine_daten")
    assert ha[blank_rows].status.isin(GESPERRT).all()
    assert not {"anzahl_mit_ausgaben", "max_ausgaben_euro"} & set(ha.columns)


def test_sozialindex_is_computed_from_published_values_only(demo_run, published):
    si = query(demo_run.home.published_db, "select * from sozialindex")
    assert len(si) > 0 and si.status_index.notna().any()
    inputs = published[published.code.isin(["S07", "S03", "S04"])]
    blocked = set(map(tuple, inputs.loc[inputs.status.isin(GESPERRT),
                                        ["gliederung", "raum_id", "berichtsjahr"]].values))
    assert blocked, "the demo county has suppressed status indicators"
    is_blocked = pd.Series([(g, r, j) in blocked for g, r, j in
                            zip(si.gliederung, si.raum_id, si.berichtsjahr, strict=True)])
    assert si[is_blocked].status_index.isna().all()
    assert (si[is_blocked & ~si.raum_id.str.endswith("-OZ")].hinweis
            .isin(["gesperrt (Geheimhaltung)", "EW unter 300"])).all()
    # the attacker's view: every published index is the engine applied to the published
    # values of the universe alone, so nothing suppressed enters it
    from dagster_project.sozialindex import SozialindexConfig, index_table
    werte = published[published.code.isin(["S07", "S03", "S04", "B01"])].drop(
        columns=["sensibel"])
    again = index_table(werte, SozialindexConfig())
    merged = si.merge(again, on=["gliederung", "raum_id", "berichtsjahr"],
                      suffixes=("", "_neu"))
    assert len(merged) == len(si)
    pd.testing.assert_series_equal(merged.status_index, merged.status_index_neu,
                                   check_names=False, atol=1e-12, rtol=0)
    pd.testing.assert_series_equal(merged.dynamik_index, merged.dynamik_index_neu,
                                   check_names=False, atol=1e-12, rtol=0)


@pytest.mark.parametrize("section, message", [
    ("min_count: 0", "geheimhaltung.min_count: ganze Zahl ab 1 erwartet"),
    ("min_count: drei", "geheimhaltung.min_count: ganze Zahl ab 1 erwartet"),
    ("dominanz_anteil: 1.5", "geheimhaltung.dominanz_anteil: Zahl von 0.0 bis 1.0 erwartet"),
    ("schutzbereich: 0", "geheimhaltung.schutzbereich: Zahl ab 0.5 erwartet"),
    ("mindestzahl: 3", "geheimhaltung: unbekannte Einstellung(en): mindestzahl"),
])
def test_bad_geheimhaltung_settings_name_the_key_in_german(tmp_path, section, message):
    from ingestion.settings import load_settings

    (tmp_path / "settings.yaml").write_text(f"geheimhaltung:\n  {section}\n", encoding="utf-8")
    with pytest.raises(ValueError) as error:
        load_settings(tmp_path)
    assert message in str(error.value)


def test_geheimhaltung_settings_reach_the_engine(tmp_path):
    from ingestion.settings import dbt_vars, load_settings

    (tmp_path / "settings.yaml").write_text("geheimhaltung:\n  min_count: 5\n", encoding="utf-8")
    settings = load_settings(tmp_path)
    assert settings.geheimhaltung == GeheimhaltungConfig(min_count=5)
    assert dbt_vars(settings)["geheimhaltung"]["min_count"] == 5

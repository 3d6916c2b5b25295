"""Disclosure control in the nightly run, on the `small` demo county.

The published file of the demo run (fixture `demo_run`) is attacked with the published
tables only: differencing over every additive group (areas = municipality, municipalities
= county, the sums between figures), also for the nearly additive S02 and S08, and the LP
audit of dagster_project/lib/geheimhaltung fed with what is blank in the published file.
The naive variant (primary suppression only) of the same publication must fail that audit.
"""

import duckdb
import numpy as np
import pandas as pd
import pytest

from dagster_project.lib.geheimhaltung import GeheimhaltungConfig, audit
from tests.reference.compare import private_warehouse

GESPERRT = ("gesperrt",)
NICHT_SENSIBEL = r"^(B\d|K\d|H0[12357])"


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


def test_every_sensitive_indicator_is_published_protected(published):
    sensitive_codes = set(published.loc[published.sensibel, "code"])
    # S, E, G, BI numerators and the single-parent figures H04, H06 (indicators.md)
    assert len(sensitive_codes) == 38
    assert sensitive_codes >= {"H04", "H06", "S05", "E08", "G02", "BI05"}
    assert not sensitive_codes & {"H01", "H03", "K01", "B01"}
    shown = published[published.sensibel & (published.status == "ok")]
    assert len(shown) > 1000
    assert not shown.zaehler.between(1, 2).any()
    rates = shown[shown.nenner.notna() & (shown.einheit == "%") & (shown.zaehler > 0)]
    assert (rates.nenner >= 10).all()
    assert not (rates.nenner - rates.zaehler).between(1, 2).any()


def test_one_status_and_denominators_and_non_sensitive_values_always_published(published):
    assert set(published.status) <= {"ok", "gesperrt", "kein_nenner", "keine_daten"}
    blank = published[published.status == "gesperrt"]
    assert len(blank) > 0
    assert blank.wert.isna().all() and blank.zaehler.isna().all()
    # the denominator of a suppressed rate stays published
    rates = blank[blank.einheit != "Anzahl"]
    assert len(rates) > 0 and rates.nenner.notna().all()
    # B, K and the household figures other than H04 / H06 are never suppressed
    plain = published[published.code.str.match(NICHT_SENSIBEL)]
    assert len(plain) > 1000 and not (plain.status == "gesperrt").any()
    assert not published.sensibel[published.status == "gesperrt"].eq(False).any()
    # the county is never suppressed (the demo has no primary cell there), and zero is
    # always published
    assert not (published[published.gliederung == "kreis"].status == "gesperrt").any()


def test_headline_indicators_stay_readable_for_planners(published):
    real = published[(published.gliederung == "sozialraum")
                     & ~published.raum_id.str.endswith("-OZ")]
    s05 = real[real.code == "S05"]
    assert len(s05) == 48
    assert (s05.status == "gesperrt").mean() <= 0.20
    assert (real[real.code == "H01"].status == "ok").all()


def _groups(frame: pd.DataFrame) -> list[pd.DataFrame]:
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


def test_differencing_recovers_no_blank_cell(published):
    """The attacker of the issue: subtract the published parts from the published total.
    A single blank cell in a group is recovered exactly; several blank counts whose
    difference equals their number are all 1 (a suppressed count is never 0). Both must
    never happen — also for S02 and S08, which are only nearly additive (an attacker who
    assumes additivity is almost always right)."""
    checked = 0
    sensitive = published[published.sensibel & (published.status != "keine_daten")]
    for (code, _), frame in sensitive.groupby(["code", "berichtsjahr"]):
        for group in _groups(frame):
            total = group[group.gliederung.isin(["kommune", "kreis"])].iloc[-1]
            parts = group.drop(index=group.index[-1])
            blanks = group.status == "gesperrt"
            # a share of 1 of 1 is known from its published nenner and the status alone
            # (zero is published): suppression cannot hide it (docs/datenschutz.md)
            pinned = blanks & (group.nenner == 1) & (group.einheit == "%")
            assert (blanks & ~pinned).sum() != 1 or pinned.any(), \
                group[["code", "gliederung", "raum_id", "zaehler"]]
            if (blanks & ~pinned).sum() and not np.isnan(total.zaehler) \
                    and code not in ("S02", "S08"):
                rest = total.zaehler - parts.zaehler.fillna(0).sum()
                assert rest > (parts.status == "gesperrt").sum(), (code, group.raum_id.tolist())
            checked += 1
    assert checked > 500


def test_sums_between_figures_do_not_give_a_blank_cell_away(published):
    wide = published.pivot_table(index=["gliederung", "raum_id", "berichtsjahr"],
                                 columns="code", values="zaehler", aggfunc="first",
                                 dropna=False)
    # E01 = E02 + E03: never exactly one of the three blank
    blank = wide[["E01", "E02", "E03"]].isna().sum(axis=1)
    known = published[published.code == "E01"].status != "keine_daten"
    assert known.any() and not (blank == 1).any()


@pytest.fixture(scope="module")
def cells(private) -> tuple[pd.DataFrame, pd.DataFrame]:
    return (query(private, "select * from intermediate.int_geheimhaltung__zellen"),
            query(private, "select * from intermediate.int_geheimhaltung__relationen"))


def _published_state(demo_run, cells: pd.DataFrame) -> pd.Series:
    """Per cell: is it blank in the published file?"""
    db = demo_run.home.published_db
    werte = query(db, "select code, gliederung, raum_id, berichtsjahr, zaehler "
                      "from indikatorwerte")
    key = ("iw|" + werte.code + "|z|" + werte.gliederung + "|" + werte.raum_id + "|"
           + werte.berichtsjahr.astype(str))
    blank = dict(zip(key, werte.zaehler.isna(), strict=True))
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
    log = query(private, "select cell_id, sperrart from marts.mart_geheimhaltung_protokoll")
    kind = zellen.cell_id.map(log.set_index("cell_id").sperrart)
    attacker = zellen.assign(
        status=np.where(zellen.verborgen, "verborgen", np.where(blank, "gesperrt", "ok")),
        sperrart=kind.where(blank & ~zellen.verborgen))
    result = audit(attacker, relationen, GeheimhaltungConfig(), exakt=False)
    assert 0 < result.geprueft <= int((blank & ~zellen.verborgen).sum())
    assert result.fehlerhaft == 0

    # naive: only the primary suppressions of the log
    primary = (kind == "primaer").to_numpy()
    assert 0 < primary.sum() < blank.sum()
    naive = zellen.assign(status=np.where(zellen.verborgen, "verborgen",
                                          np.where(primary, "gesperrt", "ok")),
                          sperrart=np.where(primary, "primaer", None))
    result = audit(naive, relationen, GeheimhaltungConfig(), exakt=False)
    assert result.fehlerhaft > 0


def test_audit_mart_agrees(demo_run, private, cells):
    zellen, _ = cells
    blank = _published_state(demo_run, zellen)
    audit_mart = query(private, "select * from marts.mart_geheimhaltung_audit")
    # every blank cell is judged but those the figures published anyway fix
    blank_ids = set(zellen.cell_id[blank & ~zellen.verborgen])
    assert set(audit_mart.cell_id) <= blank_ids
    assert len(audit_mart) >= 0.9 * len(blank_ids)
    assert audit_mart.geschuetzt.all()
    # never exact, but where the figures published in any case fix the cell (a county
    # total of 3 over three municipalities: each is 1, since zero is published)
    pinned = audit_mart.bedarf_oben == audit_mart.bedarf_unten
    assert ((audit_mart.oben - audit_mart.unten) > 0)[~pinned].all()
    assert pinned.sum() < 0.01 * len(audit_mart)
    primary = audit_mart[audit_mart.sperrart == "primaer"]
    assert len(primary) > 0
    assert (primary.unten <= primary.bedarf_unten).all()
    assert (primary.oben >= primary.bedarf_oben).all()


def test_suppression_log_names_rules_and_reasons(private):
    log = query(private, "select * from marts.mart_geheimhaltung_protokoll")
    assert set(log.status) == {"ok", "gesperrt"}
    gesperrt = log[log.status == "gesperrt"]
    assert gesperrt.grund.notna().all() and gesperrt.sperrart.notna().all()
    assert log[log.status == "ok"].grund.isna().all()
    assert log[log.status == "ok"].sperrart.isna().all()
    # zero is never suppressed
    assert not (gesperrt.zaehler == 0).any()
    reasons = set(gesperrt[gesperrt.sperrart == "primaer"].grund.str.split(",").explode())
    assert "zaehler<3" in reasons
    assert gesperrt[gesperrt.sperrart == "sekundaer"].grund.str.match(
        r"^(sekundaer|audit):").all()
    assert log.regelwerk_version.nunique() == 1 and log.regelwerk.str.contains(
        '"min_count": 3').all()


def test_patterns_are_kept_for_the_next_run(private):
    """The warehouse keeps one pattern and one audit verdict per Berichtsjahr, so that a
    year whose inputs did not change keeps its pattern (geheimhaltung_cache)."""
    muster = query(private, "select * from geheimhaltung_cache.muster")
    verdicts = query(private, "select * from geheimhaltung_cache.audit")
    log = query(private, "select berichtsjahr, count(*) filter (where status = 'gesperrt') n"
                         " from marts.mart_geheimhaltung_protokoll group by all")
    assert muster.schluessel.nunique() == len(log) == verdicts.schluessel.nunique()
    assert muster.cell_id.notna().sum() == log.n.sum()


def test_hze_hilfearten_published_protected(demo_run):
    ha = query(demo_run.home.published_db, "select * from hze_hilfearten")
    assert set(ha.status) <= {"ok", "gesperrt", "keine_daten"}
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
    from dagster_project.lib.sozialindex import SozialindexConfig, index_table
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
    from dagster_project.settings import load_settings

    (tmp_path / "settings.yaml").write_text(f"geheimhaltung:\n  {section}\n", encoding="utf-8")
    with pytest.raises(ValueError) as error:
        load_settings(tmp_path)
    assert message in str(error.value)


def test_geheimhaltung_settings_reach_the_engine(tmp_path):
    from dagster_project.settings import dbt_vars, geheimhaltung_config, load_settings

    (tmp_path / "settings.yaml").write_text("geheimhaltung:\n  min_count: 5\n", encoding="utf-8")
    settings = load_settings(tmp_path)
    assert geheimhaltung_config(settings) == GeheimhaltungConfig(min_count=5)
    assert dbt_vars(settings)["geheimhaltung"]["min_count"] == 5

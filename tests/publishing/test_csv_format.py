"""The CSV fields of `write_csv` (one formatter per column, chosen by type) are exactly the
fields of the reference formatter `_csv_value` for every type the published tables hold,
including the floats where Python's repr and numpy's positional format could part."""

import datetime as dt
import random
from decimal import Decimal

import duckdb

from dagster_project.publishing.files import _csv_rows, _csv_value, write_csv
from dagster_project.publishing.gebiete import Gebiet

FLOATS = [0.0, -0.0, 1.0, -2.0, 0.1, 19.387448, 1 / 3, 2 / 3 * 100, 1e-4, 9.99e-5, 1e-5,
          123456.789, 1e15, 1e15 + 0.5, 9999999999999998.0, 1e16, 1.5e16, 1e22, 5e-324,
          float("nan"), float("inf"), float("-inf")]


def test_every_type_and_edge_case_formats_like_the_reference():
    random.seed(12)
    floats = FLOATS + [random.uniform(-1e6, 1e6) for _ in range(5000)] \
        + [random.random() * 10 ** random.randint(-8, 17) for _ in range(5000)]
    columns = [
        floats,
        [True, False] * (len(floats) // 2),
        [random.randint(-10**12, 10**12) for _ in floats],
        [Decimal("1234.50"), Decimal("-0.01"), Decimal("0")] * (len(floats) // 3),
        [dt.date(2025, 12, 31), dt.date(1999, 1, 1)] * (len(floats) // 2),
        [dt.datetime(2026, 1, 2, 3, 4, 5), dt.datetime(2026, 12, 31, 23, 59, 59)]
        * (len(floats) // 2),
        ["Musterstadt", "a;b", 'x"y', ""] * (len(floats) // 4),
        [["a", "b"], []] * (len(floats) // 2),
    ]
    length = min(len(c) for c in columns)
    batch = [tuple(c[i] for c in columns) + (None,) for i in range(length)]
    batch[0] = (None,) * len(batch[0])      # a first row of NULLs chooses nothing yet
    formats = [None] * len(batch[0])
    got = _csv_rows(batch, formats)
    expected = [[_csv_value(v) for v in row] for row in batch]
    assert got == expected
    assert formats[-1] is None              # a column of NULLs only


def test_write_csv_writes_the_reference_fields(tmp_path):
    con = duckdb.connect()
    con.execute("""create table t as select * from (values
        (1, 0.1::double, 12.50::decimal(18,2), true, date '2025-12-31', 'Raum; "A"', null),
        (2, 1e-7::double, null, false, null, 'B', 3.0::double),
        (3, null, 0.01::decimal(18,2), null, date '2024-01-01', null, 1e20::double))
        t(n, x, d, b, s, name, y)""")
    gebiet = Gebiet("05999", "Kreis Musterland", kreis_ags="05999",
                    kreis_name="Kreis Musterland")
    path = tmp_path / "t.csv"
    assert write_csv(con, "t", gebiet, path) == 3
    text = path.read_bytes().decode("utf-8-sig")
    assert text.split("\r\n")[1:4] == [
        '1;0,1;12,50;ja;31.12.2025;"Raum; ""A""";',
        "2;0,0000001;;nein;;B;3",
        "3;;0,01;;01.01.2024;;100000000000000000000",
    ]

"""The models' time macros give what DuckDB's ICU casts give in UTC (exactly, for spans of
less than a day; more exactly beyond), on a real refresh connection."""

from __future__ import annotations

import pytest

from pipelines.home import resolve_home
from pipelines.models.warehouse import refresh_connection

INSTANTS = [
    "1969-12-31 23:59:59.999999+00", "1970-01-01 00:00:00+00", "2024-02-29 23:59:59.999999+00",
    "2026-03-01 00:00:00+00", "2026-03-31 23:59:59.5+00", "2026-11-29 12:34:56.789012+00",
]


@pytest.fixture
def con(tmp_path):
    with refresh_connection(resolve_home(tmp_path / "home")) as connection:
        yield connection


def test_utc_date_is_the_utc_calendar_date(con):
    rows = con.execute(
        "select ts, utc_date(ts), cast(ts as date) from (select unnest(?::timestamptz[]) as ts)", [INSTANTS]
    ).fetchall()
    assert len(rows) == len(INSTANTS)
    assert [r[1] for r in rows] == [r[2] for r in rows]
    # and over every microsecond offset around midnight of a million instants
    assert con.execute("""
        select count(*) from (
            select timestamptz '2026-03-01 00:00:00+00' + to_microseconds(i * 86400000 + (i % 3) - 1) as ts
            from range(1000000) as r(i))
        where utc_date(ts) <> cast(ts as date)""").fetchone()[0] == 0


def test_seconds_between_matches_epoch_of_the_difference(con):
    short, long_ = con.execute("""
        with spans as (
            select timestamptz '2026-03-01 00:00:00+00' + to_microseconds(i * 5000003) as t0,
                   timestamptz '2026-03-01 00:00:00+00' + to_microseconds(i * 5000003 + (i % 9973) * (i % 7919) * 13331) as t1
            from range(200000) as r(i))
        select count(*) filter (where t1 - t0 < interval 1 day and seconds_between(t0, t1) <> epoch(t1 - t0)),
               max(abs(seconds_between(t0, t1) - epoch(t1 - t0))) filter (where t1 - t0 >= interval 1 day)
        from spans""").fetchone()
    assert short == 0 and long_ < 1e-6
    # exact for long spans: the decimal value of the microseconds
    assert con.execute("select seconds_between(timestamptz '2026-03-01 00:00:00+00', "
                       "timestamptz '2026-03-02 01:11:12.982784+00')").fetchone()[0] == 90672.982784
    assert con.execute("select seconds_between(timestamptz '2026-03-02 00:00:00+00', "
                       "timestamptz '2026-03-01 00:00:00+00')").fetchone()[0] == -86400.0

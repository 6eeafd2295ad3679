from datetime import date, datetime, timezone

import pytest

from reports.errors import ReportError
from reports.period import Period, resolve_period

NOW = datetime(2026, 11, 29, 6, 0, tzinfo=timezone.utc)  # a Sunday


def test_scheduled_periods_are_the_last_complete_ones():
    daily, weekly, monthly = (resolve_period(p, NOW) for p in ("daily", "weekly", "monthly"))
    assert (daily.start, daily.end, daily.stamp) == (date(2026, 11, 28), date(2026, 11, 29), "2026-11-28")
    assert (weekly.start, weekly.end, weekly.stamp) == (date(2026, 11, 16), date(2026, 11, 23), "2026-W47")
    assert (monthly.start, monthly.end, monthly.stamp) == (date(2026, 10, 1), date(2026, 11, 1), "2026-10")


def test_a_weekly_report_on_monday_covers_the_week_just_ended():
    monday = datetime(2026, 11, 30, 6, 0, tzinfo=timezone.utc)
    assert resolve_period("weekly", monday).start == date(2026, 11, 23)


def test_previous_periods_have_the_same_kind_and_length():
    assert resolve_period("monthly", datetime(2026, 3, 1, tzinfo=timezone.utc)).previous() == Period(
        "monthly", date(2026, 1, 1), date(2026, 2, 1)
    )
    assert resolve_period("weekly", NOW).previous().stamp == "2026-W46"
    custom = resolve_period("daily", NOW, since="2026-11-01", until="2026-11-10")
    assert (custom.days, custom.stamp, custom.previous().start) == (10, "2026-11-01_2026-11-10", date(2026, 10, 22))


def test_since_may_be_relative_and_until_defaults_to_today():
    period = resolve_period("daily", NOW, since="7d")
    assert (period.start, period.end) == (date(2026, 11, 22), date(2026, 11, 29))


@pytest.mark.parametrize(
    "args, message",
    [
        (dict(period="hourly"), "unknown period 'hourly'"),
        (dict(since="yesterday"), "--since 'yesterday' is not a date"),
        (dict(since="2026-11-10", until="2026-11-01"), "is after --until"),
    ],
)
def test_bad_periods_are_one_clear_line(args, message):
    with pytest.raises(ReportError, match=message):
        resolve_period(now=NOW, **args)

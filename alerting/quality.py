"""``alert_quality``: per rule, how often it fired, how fast it resolved, how much it flapped and
how much of it people silenced; the noisy rules stand out."""

from __future__ import annotations

from datetime import datetime, timedelta

QUALITY_SQL = """
with episodes as (
    select * from alert_episodes where fired_at > $since and fired_at <= $now
),
changes as (
    select rule, count(*) as state_changes from alert_transitions
    where ts > $since and ts <= $now and to_state in ('firing', 'resolved') group by rule
),
sent as (
    select rule, count(*) filter (where status = 'sent') as notifications_sent,
           count(*) filter (where status = 'pending') as notifications_pending
    from alert_notifications where created_at > $since and created_at <= $now and rule is not null group by rule
),
per_rule as (
    select rule, count(*) as firings, count(resolved_at) as resolved,
           median(date_diff('second', fired_at, resolved_at)) as median_time_to_resolve_s,
           avg(date_diff('second', fired_at, resolved_at)) as mean_time_to_resolve_s,
           count(*) filter (where flapped) as flapping_episodes,
           avg(case when silenced then 1.0 else 0.0 end) as silenced_share
    from episodes group by rule
)
select coalesce(p.rule, s.rule) as rule, coalesce(p.firings, 0) as firings, coalesce(p.resolved, 0) as resolved,
       p.median_time_to_resolve_s, p.mean_time_to_resolve_s, coalesce(p.flapping_episodes, 0) as flapping_episodes,
       coalesce(c.state_changes, 0) as state_changes, coalesce(p.silenced_share, 0.0) as silenced_share,
       coalesce(s.notifications_sent, 0) as notifications_sent, coalesce(s.notifications_pending, 0) as notifications_pending,
       $since as window_start, $now as window_end
from per_rule p
full outer join sent s on s.rule = p.rule
left join changes c on c.rule = coalesce(p.rule, s.rule)
order by firings desc, rule
"""


def build_alert_quality(con, now: datetime, days: int = 30) -> int:
    """Rebuild the ``alert_quality`` table of the alert store for the last ``days``; returns its row count."""
    con.execute("create or replace table alert_quality as " + QUALITY_SQL, {"since": now - timedelta(days=days), "now": now})
    return con.execute("select count(*) from alert_quality").fetchone()[0]

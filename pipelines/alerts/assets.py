"""The alert_quality asset: the noisy rules, from the alert store's history."""

from datetime import datetime, timezone

import dagster as dg

from pipelines.home import resolve_home


class AlertQualityConfig(dg.Config):
    days: int = 30


@dg.asset(group_name="alerts", kinds={"duckdb"})
def alert_quality(context: dg.AssetExecutionContext, config: AlertQualityConfig) -> dg.MaterializeResult:
    """Per alert rule: firings, time to resolve, flaps and share silenced over the last days (alerts.duckdb)."""
    from alerting.quality import build_alert_quality
    from alerting.store import alerts_db, open_store

    root = resolve_home().ensure().root
    with open_store(root) as con:
        rows = build_alert_quality(con, datetime.now(timezone.utc), config.days)
        top = con.execute("select rule, firings, flapping_episodes, silenced_share from alert_quality limit 10").fetchall()
    table = "\n".join(["| rule | firings | flapping | silenced |", "|---|---|---|---|"] + [f"| {r} | {f} | {fl} | {s:.0%} |" for r, f, fl, s in top])
    return dg.MaterializeResult(
        metadata={
            "rules": dg.MetadataValue.int(rows),
            "noisiest": dg.MetadataValue.md(table),
            "path": dg.MetadataValue.path(str(alerts_db(root))),
        }
    )

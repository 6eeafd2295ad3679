"""The demo's default size: 90 days of history that, with everything else the demo does,
finishes in a few minutes on two cores."""

DAYS = 90
RUNS_PER_DAY = 400
SEED = 7
REPORT_PERIOD = "weekly"  # the last complete ISO week: with 90 days of history, never empty

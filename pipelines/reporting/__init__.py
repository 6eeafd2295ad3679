"""Report assets and schedules around the reports library."""

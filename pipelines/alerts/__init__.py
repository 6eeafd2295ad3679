"""Alert sensors and schedules around the alerting library."""

"""Alert sensors, the rules evaluation tick and the alert_quality asset around the alerting library."""

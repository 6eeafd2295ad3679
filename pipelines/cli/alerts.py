"""CLI: alert rules, silences and channels."""

"""The error a report or dashboard raises for bad input; the CLI turns it into a JoblensError."""


class ReportError(ValueError):
    """Bad report input: an unknown kind or period, a broken dashboard file, a missing table."""

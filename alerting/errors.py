"""The alerting library's one error type; the CLI turns it into a JoblensError."""


class AlertingError(ValueError):
    """A bad rule file, silence, channel config or argument, named in one line."""

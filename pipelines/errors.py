"""The one exception type a user should ever see: a clear, one-line message."""


class JoblensError(Exception):
    """Bad input or an unusable environment; the CLI prints the message and exits 1."""

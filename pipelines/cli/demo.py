"""CLI: ``joblens demo``."""

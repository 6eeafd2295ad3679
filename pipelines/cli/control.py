"""CLI: running workflows, the webhook trigger, run control, retention and backup."""

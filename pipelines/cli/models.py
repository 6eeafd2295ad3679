"""CLI: ad-hoc SQL, model refresh, history simulation, export, job history."""

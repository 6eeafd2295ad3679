"""The jobs JobLens runs: workflows, knowledge-base jobs and system jobs."""

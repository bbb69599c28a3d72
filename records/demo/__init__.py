"""Demo data for a realistic, deterministic sample school."""

"""DataFrame → sufficient statistics in one pass, fold assignment, scoring, session helpers."""

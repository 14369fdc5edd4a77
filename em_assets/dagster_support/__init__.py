"""Helpers for the Dagster definitions that are not definitions themselves."""

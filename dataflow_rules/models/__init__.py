"""Pydantic models: they describe shapes, they never evaluate."""

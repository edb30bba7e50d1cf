"""Renderers: one Decision, many views. Each takes decisions and returns text."""

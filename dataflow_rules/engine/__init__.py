"""Evaluation: catalogues compiled to durable-rules rulesets, findings turned into decisions."""

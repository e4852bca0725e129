"""Scores: how good a model is, and how far annotators agree."""

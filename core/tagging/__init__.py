"""Tagging text with a trained model: in memory (predict) and over files of any size (stream)."""

"""Data in and out of the engine: corpus files and other tools' annotation formats."""

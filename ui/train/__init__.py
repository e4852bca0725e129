"""The Train screen's parts: the form's values, the model versions and their promotion."""

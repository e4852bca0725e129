"""The Tag page's parts beyond the text box (screens/predict.py)."""

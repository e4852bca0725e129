"""The studio's SQLite file: documents and their corrections, training jobs, model versions.

Knows SQL and nothing of Streamlit; core/ knows nothing of this package.
"""

"""Streamlit helpers shared by the pages: cached loaders and the sidebar. Only pages import this."""
import core  # noqa: F401,E402  (sets OMP_WAIT_POLICY before the app's first torch import: core/threads.py)

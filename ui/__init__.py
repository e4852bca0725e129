"""Streamlit helpers shared by the pages: cached loaders and the sidebar. Only pages import this."""

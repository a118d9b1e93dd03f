"""Streamlit-only helpers: shared widgets, formatting, cached loaders.

The only place in dashboard/ that imports Streamlit.
"""

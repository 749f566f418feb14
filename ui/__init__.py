"""Streamlit-side helpers shared by every page: store connection, sidebar, notices."""

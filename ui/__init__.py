"""Gradio tabs beyond the chat (which lives in app.py)."""

"""Rendering the guide: a Renderer over Jinja2 templates, and a thin MkDocs plugin."""

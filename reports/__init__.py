"""Report rendering (Jinja2 templates, HTML and PDF)."""

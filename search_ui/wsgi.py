"""WSGI entry point for production servers (gunicorn search_ui.wsgi:app)."""

from config.settings import from_environment
from search_ui.app import create_app

app = create_app(from_environment())

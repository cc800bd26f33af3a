"""The articles UI: list and search box, detail, edit, delete, source downloads."""
from app.articles.views import bp

__all__ = ["bp"]

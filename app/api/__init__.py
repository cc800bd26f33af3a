"""The JSON API (session auth, same cookie as the UI): /api/articles…"""
from app.api.articles import bp

__all__ = ["bp"]

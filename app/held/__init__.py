"""Held deliveries: mail stored but not filed, because its sender was not proven."""
from app.held.views import bp  # noqa: F401

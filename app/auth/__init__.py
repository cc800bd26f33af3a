"""Authentication: sessions (this package's `sessions`), CSRF, magic-link login views."""

"""/held: a user's own held deliveries, to accept into their library or discard."""
from flask import Blueprint

bp = Blueprint("held", __name__)

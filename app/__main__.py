"""`python -m app <command>` (or `simplr <command>`): the ops CLI; see `--help`."""
from flask.cli import FlaskGroup

from app import create_app

cli = FlaskGroup(create_app=lambda: create_app(), help=__doc__)

if __name__ == "__main__":
    cli(prog_name="simplr")

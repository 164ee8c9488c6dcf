"""``python -m gardien`` runs the command line."""

from gardien.cli.main import run

run()

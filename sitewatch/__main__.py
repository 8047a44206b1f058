"""``python -m sitewatch`` runs the command-line interface."""

from sitewatch.cli import main

main()

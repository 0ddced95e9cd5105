"""``python -m tracer`` runs the mmtrace command."""

from .cli import main

main()

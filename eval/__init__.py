"""Offline evaluation suites for Raqib (``python -m eval``).

Each suite is a subpackage with a ``main(argv) -> int`` entry point; ``eval/__main__.py`` runs every
suite that is present.
"""

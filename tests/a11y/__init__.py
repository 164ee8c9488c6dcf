"""Accessibility of the pages of issue 17: axe-core from the npm registry, the walk through
every page (``tour.py``), and screenshots of it (``python -m tests.a11y.screenshots OUTDIR``)."""

"""Demo data: the entry point the CLI uses; the generator lives in :mod:`gardien.services.demo`."""

from __future__ import annotations

from gardien.services.demo import MIN_COMPLETE, build_demo_document

__all__ = ["MIN_COMPLETE", "build_demo_document"]

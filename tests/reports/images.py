"""Kept for benchmarks/documents.py, outside tests/: the images live in tests.factories."""

from tests.factories.images import tiny_png

__all__ = ["tiny_png"]

"""guide-builder: an evidence-based GPU buyer's guide for local text-to-image models."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("guide-builder")
except PackageNotFoundError:  # running from a source tree without install
    __version__ = "0.0.0+source"

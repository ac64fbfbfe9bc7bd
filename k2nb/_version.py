"""The package version (read by the build, shown in recordings and exports)."""

__version__ = "0.1.0"

"""smartcustoms: an open smart-customs platform."""

__version__ = "0.1.0"

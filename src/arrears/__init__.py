"""arrears: an open-source collections platform for a credit-card center."""

__version__ = "0.1.0"

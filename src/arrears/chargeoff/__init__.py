"""Charge-off, write-off, recoveries after write-off, debt sale (docs/delinquency.md)."""

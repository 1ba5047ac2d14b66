"""The customer's own door: one-time links, identity verification, a short portal session and
the customer's pages under ``/portal`` (docs/portal.md)."""

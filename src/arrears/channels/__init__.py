"""Outbound messages on every channel: the message store, its states, the transports."""

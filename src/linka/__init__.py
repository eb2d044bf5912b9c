"""Linka: an open-source omnichannel helpdesk."""

__version__ = "0.1.0"

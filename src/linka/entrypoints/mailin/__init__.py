"""Inbound mail entry points that fetch mail (IMAP polling); the SMTP listener is in entrypoints/smtp."""

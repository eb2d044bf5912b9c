"""Custom fields that admins define for tickets and contacts, and their validated values."""

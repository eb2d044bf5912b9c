"""Canned messages (snippets found by a `/shortcut`) and predefined answers (templates with a subject),
personal, shared with a department, or for everyone; rendered with a ticket's variables."""

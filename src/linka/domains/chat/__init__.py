"""Live chat: buttons, visitors, chats, routing and proactive invitations."""

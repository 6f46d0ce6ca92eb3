"""Access: API keys and the roles that say what each key may do."""

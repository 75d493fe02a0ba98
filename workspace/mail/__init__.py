"""Email: composing from templates, the transactional outbox, and delivery over SMTP (or to files)."""

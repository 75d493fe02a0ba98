"""Use cases: one function each, the only code that changes state and records room events."""

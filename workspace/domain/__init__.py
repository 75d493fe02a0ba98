"""Pure rules: no I/O, no Flask, no session. Imports nothing else of ours."""

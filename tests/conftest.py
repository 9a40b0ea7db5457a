"""System tests: they drive the repository's own commands, over 127.0.0.1 only."""

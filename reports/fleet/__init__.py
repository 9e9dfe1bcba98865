"""`ppid-audit report fleet`: one ranking table of every site in the config (fleet mode, docs/fleet.md)."""

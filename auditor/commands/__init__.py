"""CLI subcommands: each module defines `register(subparsers)`; discovered by auditor.cli."""

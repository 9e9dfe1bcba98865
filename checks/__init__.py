"""Built-in checks (each registered under the `ppid_auditor.checks` entry-point group)."""

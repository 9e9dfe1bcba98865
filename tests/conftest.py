import os

# Every test targets loopback only: the shared HTTP client refuses anything else.
os.environ["PPID_LOOPBACK_ONLY"] = "1"

import os

# Every test targets loopback only: the shared HTTP client refuses anything else.
os.environ["PPID_LOOPBACK_ONLY"] = "1"

# Hypothesis (issue 17): the `ci` profile is the default: a fixed seed (derandomize) and a small example
# budget keep the property tests reproducible and the suite within its time limit. HYPOTHESIS_PROFILE=dev
# explores more, with random seeds.
try:
    from hypothesis import HealthCheck, settings
except ImportError:  # the test extra is not installed: the property tests skip themselves
    pass
else:
    settings.register_profile("ci", derandomize=True, max_examples=60, deadline=None, database=None,
                              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    settings.register_profile("dev", max_examples=500, deadline=None)
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

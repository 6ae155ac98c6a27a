"""A farm of synthetic organization sites with exact ground truth.

The test bed for accuracy (every item's expected status is known), the demo's data and the
load for benchmarks. Deterministic from a seed; pages are rendered on request, never stored::

    from testbed.farm import generate, serve

    farm = generate(200, seed=7)
    with serve(farm) as farm:          # one thread, one socket per site address, same port
        farm.targets()                 # [{"org_id", "url", "org_type"}] for the crawler
        farm.truth()                   # expected item statuses, channels and outcomes

CLI: ``python -m testbed.farm serve --sites N --seed S --port P [--registry-out F.csv] [--truth-out F.json]``.
"""

from testbed.farm.server import FarmServer, serve
from testbed.farm.spec import ALL_FAULTS, BENIGN_FAULTS, DEFAULT_FAULTS, OUTCOME_FAULTS, TYPES, Farm, SiteSpec, generate

__all__ = ["ALL_FAULTS", "BENIGN_FAULTS", "DEFAULT_FAULTS", "OUTCOME_FAULTS", "TYPES", "Farm", "FarmServer", "SiteSpec", "generate", "serve"]

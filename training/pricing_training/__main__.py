import os
import sys

# OpenMP threads that busy-wait (the default) make LightGBM many times slower when the cores are shared
# with anything else, as they are on small machines; waiting passively costs nothing when they are not.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from .cli import main  # noqa: E402  (after the environment is set)

sys.exit(main())

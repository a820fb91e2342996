"""Retail worlds: a second, independently written generator of retail logs with ground truth.

`RetailWorld` (world.py) is a shop's catalogue, customers and market stepped one week at a time behind
the interface documented in docs/worlds.md; `generate.write` steps it over a year under the shop's own
pricing policy (policy.py) and writes the log in the UCI Online Retail schema with the true curves.
"""

from .generate import load_world, replay, simulate, write
from .policy import ShopPolicy
from .world import RetailWorld, WeekResult

__all__ = ["RetailWorld", "WeekResult", "ShopPolicy", "simulate", "write", "load_world", "replay"]

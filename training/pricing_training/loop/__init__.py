"""The learning loop (issue 21): planned price tests, a ledger of what sold, a weekly posterior update, and a
closed-loop evaluation over simulated weeks against baselines (docs/learning-loop.md).

Modules, bottom up: world.py (the world protocol and loading one by module path), retail_adapter.py (the
retail_worlds family behind it), ledger.py (every week's lines and assignments in SQLite; the seam where the
Swift `pricing-server ingest` plugs in), start.py (the starting posterior from the training year), update.py
(the weekly posterior update), batch_decision.py (decision.py's rule over many products at once), plan.py
(test design and guardrails), policies.py (the loop and its baselines), run.py (the 26-week simulation),
report.py (JSON, markdown and the plot).
"""

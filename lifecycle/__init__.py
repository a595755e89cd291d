"""Lifecycle knowledge as data, and what it says about a plan: preconditions, destroy blockers, protected data,
the destroy order and how long `pulumi up` and `pulumi destroy` take.

A consumer of plan/ (and facts/): it never imports the engine. The facts are in lifecycle.yaml beside this file.
"""

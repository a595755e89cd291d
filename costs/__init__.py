"""Offline cost estimates for the stacks: price catalog, estimator, reports, diff, traffic sweep and chart."""

"""Facts about Google Cloud and the app that every package may rely on: limits, shapes, type tokens.

A leaf package: it imports nothing of this project, so config, components, costs and policy can all read it.
"""

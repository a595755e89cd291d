"""The HTTP layer: an app factory, routers per area, and the one table from core errors to responses."""

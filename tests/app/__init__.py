"""Tests of the inference service in app/."""

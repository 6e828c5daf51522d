"""Seeded generators of synthetic studies (no real customer data)."""

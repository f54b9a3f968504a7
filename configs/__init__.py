"""Shipped YAML configurations, installed as package data of `metanas.configs`.

Resolve one with `metanas.resources.resolve_path("configs/NAME.yaml")`.
"""

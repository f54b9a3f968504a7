"""Shipped meta-learner checkpoints, installed as package data of `metanas.checkpoints`.

Resolve one with `metanas.resources.resolve_path("checkpoints/NAME")`.
"""

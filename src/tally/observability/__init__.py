"""Metrics, logs and health: what an operator watches."""

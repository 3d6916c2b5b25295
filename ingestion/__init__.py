"""Ingestion of agency deliveries into the private SPM warehouse (raw zone)."""

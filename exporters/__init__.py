"""Exporters: one module per exporter (issue 5)."""

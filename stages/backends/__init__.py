"""Model backends: one small module per backend, registered by name."""

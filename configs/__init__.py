"""Built-in YAML presets: default.yaml, profiles such as offline.yaml, stage presets."""

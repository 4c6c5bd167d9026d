"""Pipeline stages: small classes with pure per-batch `run`, driven by the runner."""

ORDER = ["dedup", "segment", "inpaint", "embed", "caption", "tag", "cluster"]

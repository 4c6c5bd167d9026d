"""Pipeline stages: each module declares one stage (`@register("stage", NAME)` with its `order`)."""

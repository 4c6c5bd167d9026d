"""The query language behind `celvault query`, and contact sheets (issue 5)."""

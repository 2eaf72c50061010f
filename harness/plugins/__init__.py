"""nose plugins. Each one holds options and hooks only; the work lives in the core modules.

Scores order the hooks: services (3000) start before fixtures (2000) load, and fixtures load before
the live app (1500) starts. The summary line (10) prints last.
"""

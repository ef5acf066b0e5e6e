"""DRF views, one module per resolver family."""

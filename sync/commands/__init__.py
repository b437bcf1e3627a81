"""Sub-command groups of the `creditbridge` CLI, one module per area; each has `register(app)`."""

"""The ``gardien`` command: one module per command group, errors mapped to messages."""

"""gardien: the personal-data platform of a training organisation.

Layers, imported one way only: ``web`` and ``cli`` (entry points) → ``services`` →
``domain`` + ``store``; ``policy`` and ``domain`` import nothing of ours but themselves.
"""

__version__ = "0.1.0"

"""Use cases. Each takes its collaborators (unit of work, clock, policy) as parameters."""

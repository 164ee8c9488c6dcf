"""The policy as code: its model, its YAML loader and validator, and the default policy file.

The policy is the single source of truth for retention, disclosure, the notice and the register.
"""

from gardien.policy.catalogue import RecordCatalogue
from gardien.policy.loader import DEFAULT_POLICY_PATH, load_policy, parse_policy
from gardien.policy.model import Policy

__all__ = ["DEFAULT_POLICY_PATH", "Policy", "RecordCatalogue", "load_policy", "parse_policy"]

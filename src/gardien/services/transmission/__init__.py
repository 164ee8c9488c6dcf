"""Transmissions to sponsors and funding bodies: only what the policy allows, always logged."""

from gardien.services.transmission.transmit import Target, Transmission, transmit

__all__ = ["Target", "Transmission", "transmit"]

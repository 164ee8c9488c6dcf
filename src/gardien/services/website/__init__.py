"""The website's use cases: newsletter (double opt-in, campaigns, unsubscription), contact form."""

"""The web app: public site, learner portal, sponsor space, DPO console, JSON API."""

"""Accounts: passwords, second factor, sessions, sign-in."""

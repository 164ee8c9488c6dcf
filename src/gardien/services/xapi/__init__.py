"""gardien's Learning Record Store: clients, statements in (pseudonymised), statements out."""

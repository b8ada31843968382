"""Code shared by every Bazaar Lambda: capabilities (api + service + data) and core."""

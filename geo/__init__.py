"""GPS tracks, frame sampling, road networks, map matching and ground projection."""

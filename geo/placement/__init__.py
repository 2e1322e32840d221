"""Placing what was seen: the camera model (ground projection), pose correction on the network,
merging sightings into defects, and repair verification from later footage."""

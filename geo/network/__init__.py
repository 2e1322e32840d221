"""The road network and map matching: loading networks (OSM, GeoJSON, GeoPackage, Shapefile),
highway tags, and HMM map matching of GPS tracks onto segments and chainage."""

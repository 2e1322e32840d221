"""roadcam: road-condition analytics from fleet vehicle cameras.

This package holds only what every stage shares: the exception tree
(:mod:`roadcam.errors`) and the settings (:mod:`roadcam.settings`).
Importing it does no work.
"""

__version__ = "0.1.0"

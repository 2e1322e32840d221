"""The batch runner and the ``roadcam`` command line."""

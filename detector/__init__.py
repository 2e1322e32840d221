"""Object detection on road images. No ultralytics type leaves this package."""

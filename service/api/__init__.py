"""The HTTP edge: the app, its routes, its request and response models."""

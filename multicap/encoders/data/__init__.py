"""Data files shipped with the encoders (ImageNet class names, ...)."""

"""Image loading and folder walking."""

from multicap.io.batch import ErrorHandler, iter_batches, iter_loaded, log_error
from multicap.io.images import DEFAULT_MAX_PIXELS, IMAGE_EXTENSIONS, load_image, to_rgb
from multicap.io.walk import iter_image_paths

__all__ = [
    "DEFAULT_MAX_PIXELS",
    "IMAGE_EXTENSIONS",
    "ErrorHandler",
    "iter_batches",
    "iter_image_paths",
    "iter_loaded",
    "load_image",
    "log_error",
    "to_rgb",
]

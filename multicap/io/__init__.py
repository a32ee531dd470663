"""Image loading and folder walking; file names shown, written and stored safely."""

from multicap.io.batch import ErrorHandler, iter_batches, iter_loaded, log_error
from multicap.io.images import DEFAULT_DECODE_BUDGET, DEFAULT_MAX_PIXELS, load_image, to_rgb
from multicap.io.paths import (
    IMAGE_EXTENSIONS,
    db_name,
    from_db_name,
    is_utf8,
    iter_image_paths,
    json_name,
    open_regular,
    raw_name,
    shown,
    stat_regular,
)

__all__ = [
    "DEFAULT_DECODE_BUDGET",
    "DEFAULT_MAX_PIXELS",
    "IMAGE_EXTENSIONS",
    "ErrorHandler",
    "db_name",
    "from_db_name",
    "is_utf8",
    "iter_batches",
    "iter_image_paths",
    "iter_loaded",
    "json_name",
    "load_image",
    "log_error",
    "open_regular",
    "raw_name",
    "shown",
    "stat_regular",
    "to_rgb",
]

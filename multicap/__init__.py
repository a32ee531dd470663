"""multicap: describe, search and compare image collections offline.

The library never prints and never imports the CLI; long work reports progress through callbacks.
"""

from multicap._version import __version__
from multicap.errors import ImageLoadError, MulticapError

__all__ = ["ImageLoadError", "MulticapError", "__version__"]

"""`Description`: what a describer says about one image, at every level it was asked for.

Both describers produce it (the grounded one from the encoder's classifications, the neural one from a
trained captioner bundle); everything downstream (sets, index, compare) works on `Description` alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from multicap.levels.facts import SceneFacts

__all__ = ["Description"]


@dataclass
class Description:
    path: Path  # the image file
    facts: SceneFacts | None = None  # structured facts where the describer has them
    texts: dict[str, str] = field(default_factory=dict)  # level → text
    confidence: dict[str, float] = field(default_factory=dict)  # level → confidence in 0..1 where known
    captions: dict[str, Any] = field(default_factory=dict)  # level → multicap.captioning.Caption (neural)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: path, facts, texts and confidences (attention maps are left out)."""
        return {
            "path": str(self.path),
            "facts": self.facts.to_dict() if self.facts is not None else None,
            "texts": dict(self.texts),
            "confidence": dict(self.confidence),
        }

"""Class priors: the shipped table, and the describer's bias shifted by it."""

from __future__ import annotations

import numpy as np
import torch

from multicap.describe.grounded import GroundedConfig, GroundedDescriber
from multicap.describe.priors import class_log_prior


def test_the_shipped_priors_are_centred_log_probabilities_for_lite0() -> None:
    log_prior = class_log_prior("efficientnet_lite0")
    assert log_prior is not None and log_prior.shape == (1000,)
    assert abs(float(log_prior.mean())) < 1e-4
    assert class_log_prior("no-such-encoder") is None


def test_a_class_said_everywhere_needs_more_evidence() -> None:
    plain = GroundedDescriber(GroundedConfig(people=False, class_priors=0.0))
    shifted = GroundedDescriber(GroundedConfig(people=False, class_priors=0.5), encoder=plain.encoder)
    labels = plain.encoder.labels
    hook, tabby = labels.index("hook"), labels.index("tabby")
    delta = (shifted._bias - plain._bias).numpy()
    assert delta[hook] < 0 < delta[tabby]  # the drawings' commonest label is pushed down, a rare one up
    log_prior = class_log_prior("efficientnet_lite0")
    assert np.allclose(delta, -0.5 * log_prior, atol=1e-5)
    assert torch.equal(plain._weight, shifted._weight)

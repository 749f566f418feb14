"""Saving and loading model weights with their metadata and version."""

from __future__ import annotations

import copy
import hashlib
import io
import json
from pathlib import Path

import torch
from torch import nn

from paii_core.errors import InputFileError, InputNotFoundError, ValidationError

__all__ = ["WEIGHTS_FILE", "WeightEMA", "load_weights", "model_version", "save_weights"]

WEIGHTS_FILE = "weights.pt"
META_FILE = "meta.json"


def save_weights(net: nn.Module, out_dir: Path, meta: dict) -> dict:
    """Write ``weights.pt`` (state dict) and ``meta.json`` atomically into ``out_dir``;
    return ``meta`` with the weights' ``version`` added."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    torch.save({k: v.detach().cpu() for k, v in net.state_dict().items()}, buf)
    blob = buf.getvalue()
    meta = {**meta, "version": hashlib.sha256(blob).hexdigest()[:12]}
    for name, data in ((WEIGHTS_FILE, blob), (META_FILE, json.dumps(meta, indent=2).encode())):
        tmp = out_dir / f".{name}.tmp"
        tmp.write_bytes(data)
        tmp.replace(out_dir / name)
    return meta


def model_version(model_dir: Path) -> str:
    """The 12-hex-digit version (hash of the weights) of the model in ``model_dir``."""
    path = Path(model_dir) / WEIGHTS_FILE
    if not path.is_file():
        raise InputNotFoundError(
            f"{path}: no trained weights. Fix: run `paii train {Path(model_dir).name}`"
        )
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def load_weights(net: nn.Module, model_dir: Path) -> nn.Module:
    """Load ``model_dir/weights.pt`` into ``net`` (on the CPU) and set eval mode.
    Raises InputNotFoundError when missing, InputFileError when they do not fit ``net``."""
    path = Path(model_dir) / WEIGHTS_FILE
    if not path.is_file():
        raise InputNotFoundError(
            f"{path}: no trained weights. Fix: run `paii train {Path(model_dir).name}`"
        )
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
        net.load_state_dict(state)
    except (RuntimeError, KeyError, EOFError, ValueError) as e:
        raise InputFileError(
            path,
            f"weights do not fit {type(net).__name__} ({e})",
            f"retrain with `paii train {Path(model_dir).name}`",
        ) from e
    return net.eval()


class WeightEMA:
    """Exponential moving average of a network's parameters during training (Polyak &
    Juditsky 1992; the running form of stochastic weight averaging, Izmailov et al. 2018):
    the average of the last ~1 / (1 - ``decay``) steps sits in a flatter, better point
    than any single noisy step. The early steps use the decay (1 + t) / (10 + t) when that
    is smaller, so the average is not stuck at the starting weights.
    Raises ValidationError for a decay outside 0 < decay < 1."""

    def __init__(self, net: nn.Module, decay: float) -> None:
        if not 0.0 < decay < 1.0:
            raise ValidationError(f"EMA decay must be within 0 < decay < 1, got {decay}")
        self.decay, self.updates = decay, 0
        self.shadow = copy.deepcopy(net).eval()
        for p in self.shadow.parameters():
            p.requires_grad_(False)

    @torch.no_grad()
    def update(self, net: nn.Module) -> None:
        """Move the average toward ``net``'s current weights by one step."""
        self.updates += 1
        d = min(self.decay, (1 + self.updates) / (10 + self.updates))
        current = net.state_dict()
        for k, v in self.shadow.state_dict().items():
            if v.dtype.is_floating_point:
                v.mul_(d).add_(current[k].detach(), alpha=1 - d)
            else:
                v.copy_(current[k])

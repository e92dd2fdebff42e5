"""Paged KV cache (vLLM-style blocks): capacity from the design's memory minus the weights.

KV bytes per token = 2 (K and V) x layers x KV heads on this device x head dim x bytes of the KV format.
Capacity: ``design.memory_capacity_bytes()`` (the design contract) when the design has it, else the
``memory_bytes`` the caller gives, else the fallback table below for the presets whose datasheet gives the
memory size (to be removed once every design reports its capacity).  KV blocks = (capacity x
``memory_fraction`` - weights) // (block tokens x bytes per token).
"""

from __future__ import annotations

import math

from archsim.core.errors import ConfigError
from archsim.workloads.batch import BatchSpec
from archsim.workloads.op import PRECISION_BYTES

#: memory per device, bytes, for designs that do not report memory_capacity_bytes() yet (datasheet values)
FALLBACK_CAPACITY = {
    "a100-sxm4-80gb": 80e9,   # NVIDIA A100 80GB datasheet (2021): 80 GB HBM2e
    "h100-sxm5-80gb": 80e9,   # NVIDIA H100 SXM5 datasheet (2023): 80 GB HBM3
    "tpu-v4-like": 32 * 2**30,  # Jouppi et al., TPU v4, ISCA 2023: 32 GiB HBM2
}


def kv_bytes_per_token(spec: BatchSpec) -> float:
    """Return the KV-cache bytes one token takes on one device (K and V of every layer)."""
    cfg = spec.model
    kv_heads = max(1, cfg.num_kv_heads // spec.tp)
    return 2 * cfg.num_layers * kv_heads * cfg.head_dim * PRECISION_BYTES[spec.plan.kv]


def weight_bytes(spec: BatchSpec) -> float:
    """Return the weight bytes one device holds (matrices and embeddings, sharded over ``tp``)."""
    return spec.model.param_count() * PRECISION_BYTES[spec.plan.weight] / spec.tp


def memory_capacity(design: object, memory_bytes: float | None = None) -> tuple[float, str]:
    """Return ``(bytes, where the number comes from)`` of the memory one device of ``design`` holds."""
    if memory_bytes is not None:
        if isinstance(memory_bytes, bool) or not isinstance(memory_bytes, (int, float)) or not memory_bytes > 0:
            raise ConfigError(f"memory_bytes must be a positive number, not {memory_bytes!r}")
        return float(memory_bytes), "memory_bytes option"
    if hasattr(design, "memory_capacity_bytes"):
        cap = design.memory_capacity_bytes()
        if cap is not None:
            return float(cap), "design.memory_capacity_bytes()"
    name = getattr(design, "name", None)
    base = getattr(design, "npu", None)
    pim = getattr(design, "pim", None)
    if base is not None and pim is not None:  # NPU + PIM: the NPU's memory is the PIM devices'
        if str(getattr(pim, "name", "")).startswith("hbm-pim"):
            # Kwon et al., ISSCC 2021, 25.4: "a 20nm 6GB function-in-memory DRAM, based on HBM2" (Aquabolt-XL)
            return float(design.pim_devices * 6 * 2**30), "datasheet fallback: 6 GiB per HBM-PIM stack"
    elif name in FALLBACK_CAPACITY:
        return float(FALLBACK_CAPACITY[name]), f"datasheet fallback for {name}"
    raise ConfigError(f"design {name!r} does not report its memory capacity; pass memory_bytes (bytes)")


class PagedKV:
    """Block accounting of one device's KV cache.

    Attributes:
        blocks: total KV blocks.
        block_tokens: tokens per block.
        free: free blocks now.
    """

    def __init__(self, blocks: int, block_tokens: int) -> None:
        self.blocks = int(blocks)
        self.block_tokens = int(block_tokens)
        self.free = int(blocks)

    @classmethod
    def for_design(cls, design: object, spec: BatchSpec, *, block_tokens: int = 16, memory_bytes: float | None = None,
                   memory_fraction: float = 0.9) -> tuple[PagedKV, dict]:
        """Return the cache of ``design`` serving ``spec`` and a dict describing how it was sized."""
        if isinstance(block_tokens, bool) or not isinstance(block_tokens, int) or block_tokens < 1:
            raise ConfigError(f"block_tokens must be a positive integer, not {block_tokens!r}")
        if not 0 < memory_fraction <= 1:
            raise ConfigError(f"memory_fraction must be in (0, 1], not {memory_fraction!r}")
        cap, source = memory_capacity(design, memory_bytes)
        w = weight_bytes(spec)
        usable = cap * memory_fraction - w
        if usable <= 0:
            raise ConfigError(f"design {getattr(design, 'name', '?')!r} cannot hold the weights of {spec.model.name}: "
                              f"{w / 1e9:.2f} GB of weights, {cap * memory_fraction / 1e9:.2f} GB usable memory")
        per_block = block_tokens * kv_bytes_per_token(spec)
        blocks = int(usable // per_block)
        if blocks < 1:
            raise ConfigError(f"design {getattr(design, 'name', '?')!r} has no room for one KV block of "
                              f"{spec.model.name} after the weights")
        info = {"memory_bytes": cap, "memory_source": source, "weight_bytes": w, "kv_bytes_per_token":
                kv_bytes_per_token(spec), "kv_blocks": blocks, "block_tokens": block_tokens,
                "kv_capacity_tokens": blocks * block_tokens}
        return cls(blocks, block_tokens), info

    def need(self, tokens: int) -> int:
        """Return the blocks ``tokens`` tokens occupy."""
        return -(-int(tokens) // self.block_tokens)

    def fits_ever(self, tokens: int) -> bool:
        """True if a sequence of ``tokens`` tokens fits the empty cache."""
        return self.need(tokens) <= self.blocks

    @property
    def used(self) -> int:
        """Blocks in use."""
        return self.blocks - self.free


def ceil_div(a: int, b: int) -> int:
    """Return ceil(a / b) for non-negative integers."""
    return -(-a // b) if b else math.inf  # type: ignore[return-value]

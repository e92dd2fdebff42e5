"""Convolutional network presets (``conv`` ops), each from its paper's architecture table.

``cnn_trace(name, batch=1, precision="int8")`` returns a :class:`~archsim.workloads.trace.Trace`
of ``conv`` ops (plus ``gemm`` classifier layers).  Pooling, batch-norm, activations and residual
additions are not listed (elementwise work; the papers count multiply-adds of conv/FC layers only,
which is what :func:`cnn_macs` totals and the tests compare against the papers' figures).

Sources:
    * ``mobilenet-v1``: Howard et al., "MobileNets", arXiv:1704.04861 (2017), Table 1 (224x224,
      width 1.0; 569 M mult-adds, Table 8).  Assumption: the second-to-last depthwise layer
      (Table 1 "Conv dw / s2" on a 7x7x1024 input) is stride 1: Table 1's own input sizes keep
      7x7, and the reference implementations use stride 1.
    * ``mobilenet-v2``: Sandler et al., "MobileNetV2", CVPR 2018, Table 2 (224x224, width 1.0;
      300 M mult-adds, Table 4).  Bottleneck = 1x1 expand (skipped for t = 1), 3x3 depthwise
      (stride on the first repeat), 1x1 project.
    * ``resnet-50``: He et al., "Deep Residual Learning", CVPR 2016, Table 1 (3.8e9 FLOPs =
      multiply-adds); downsampling by the first 1x1 of conv3_1/4_1/5_1 (stride 2) and 1x1
      projection shortcuts (option B) at the first block of each stage.
    * ``vit-b16-patch``: Dosovitskiy et al., "An Image is Worth 16x16 Words", ICLR 2021, Sec. 3.1:
      the patch embedding of ViT-B/16 as a 16x16 stride-16 conv, 3 -> 768 channels on 224x224.

All convs use "same"-style padding ``(r - 1) // 2`` except the patch embedding (padding 0).
"""

from __future__ import annotations

from collections.abc import Callable

from archsim.core.errors import ConfigError, require_choice, require_positive_int
from archsim.workloads.op import PRECISIONS, Op, conv_op
from archsim.workloads.trace import Trace

Layer = tuple  # (name, c, h, w, k, r, s, stride, groups) or ("fc", name, in, out)


def _mobilenet_v1() -> list[Layer]:
    L: list[Layer] = [("conv1", 3, 224, 224, 32, 3, 3, 2, 1)]
    # (input channels, output channels, depthwise stride) per Table 1 row pair
    cfg = [(32, 64, 1), (64, 128, 2), (128, 128, 1), (128, 256, 2), (256, 256, 1), (256, 512, 2),
           *[(512, 512, 1)] * 5, (512, 1024, 2), (1024, 1024, 1)]
    h = 112
    for i, (c, k, s) in enumerate(cfg, start=1):
        L.append((f"dw{i}", c, h, h, c, 3, 3, s, c))
        h = (h + 2 - 3) // s + 1
        L.append((f"pw{i}", c, h, h, k, 1, 1, 1, 1))
    L.append(("fc", "fc", 1024, 1000))
    return L


def _mobilenet_v2() -> list[Layer]:
    L: list[Layer] = [("conv1", 3, 224, 224, 32, 3, 3, 2, 1)]
    h, c = 112, 32
    cfg = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]
    b = 0
    for t, k, n, s in cfg:
        for i in range(n):
            b += 1
            stride = s if i == 0 else 1
            e = c * t
            if t != 1:
                L.append((f"b{b}.expand", c, h, h, e, 1, 1, 1, 1))
            L.append((f"b{b}.dw", e, h, h, e, 3, 3, stride, e))
            h = (h + 2 - 3) // stride + 1
            L.append((f"b{b}.project", e, h, h, k, 1, 1, 1, 1))
            c = k
    L.append(("conv_last", c, h, h, 1280, 1, 1, 1, 1))
    L.append(("fc", "fc", 1280, 1000))
    return L


def _resnet50() -> list[Layer]:
    L: list[Layer] = [("conv1", 3, 224, 224, 64, 7, 7, 2, 1)]
    h, c = 56, 64  # after the 3x3 stride-2 max pool
    for stage, (width, blocks) in enumerate([(64, 3), (128, 4), (256, 6), (512, 3)], start=2):
        out = 4 * width
        for b in range(1, blocks + 1):
            s = 2 if (b == 1 and stage > 2) else 1
            p = f"conv{stage}_{b}"
            if b == 1:
                L.append((f"{p}.proj", c, h, h, out, 1, 1, s, 1))
            L.append((f"{p}.a", c, h, h, width, 1, 1, s, 1))
            h = (h - 1) // s + 1
            L.append((f"{p}.b", width, h, h, width, 3, 3, 1, 1))
            L.append((f"{p}.c", width, h, h, out, 1, 1, 1, 1))
            c = out
    L.append(("fc", "fc", 2048, 1000))
    return L


def _vit_patch() -> list[Layer]:
    return [("patch_embed", 3, 224, 224, 768, 16, 16, 16, 1)]


#: name -> (layer builder, source, published multiply-adds per image or None)
CNN_MODELS: dict[str, tuple[Callable[[], list[Layer]], str, int | None]] = {
    "mobilenet-v1": (_mobilenet_v1, "Howard et al. 2017, arXiv:1704.04861, Table 1 (569 M mult-adds, Table 8)",
                     569_000_000),
    "mobilenet-v2": (_mobilenet_v2, "Sandler et al. CVPR 2018, Table 2 (300 M mult-adds, Table 4)", 300_000_000),
    "resnet-50": (_resnet50, "He et al. CVPR 2016, Table 1 (3.8e9 FLOPs = mult-adds)", 3_800_000_000),
    "vit-b16-patch": (_vit_patch, "Dosovitskiy et al. ICLR 2021, Sec. 3.1 (ViT-B/16 patch embedding)", None),
}


def cnn_trace(name: str, batch: int = 1, precision: str = "int8") -> Trace:
    """Return the ``conv``/``gemm`` trace of CNN preset ``name`` for ``batch`` images (NCHW, ``precision``)."""
    require_choice("model", name, tuple(CNN_MODELS))
    require_positive_int("batch", batch)
    require_choice("precision", precision, PRECISIONS)
    prec = {"a_precision": precision, "b_precision": precision, "out_precision": precision}
    ops: list[Op] = []
    for i, layer in enumerate(CNN_MODELS[name][0]()):
        if layer[0] == "fc":
            _, lname, k_in, k_out = layer
            kind = "gemv" if batch == 1 else "gemm"
            ops.append(Op(lname, kind, batch, k_in, k_out, layer=i, **prec))
            continue
        lname, c, h, w, k, r, s, stride, groups = layer
        pad = 0 if name == "vit-b16-patch" else (r - 1) // 2
        ops.append(conv_op(lname, batch, c, h, w, k, r, s, stride=stride, padding=pad, groups=groups, layer=i,
                           b_tensor="weight", **prec))
    return Trace.from_ops(ops, meta={"model": name, "batch": batch, "source": CNN_MODELS[name][1]})


def cnn_macs(name: str) -> int:
    """Multiply-adds of one image through CNN preset ``name`` (conv + FC layers)."""
    if name not in CNN_MODELS:
        raise ConfigError(f"model must be one of {', '.join(CNN_MODELS)}, not {name!r}")
    return sum(op.macs for op in cnn_trace(name))

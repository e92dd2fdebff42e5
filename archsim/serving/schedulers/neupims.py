"""NeuPIMs-style serving (Heo et al., ASPLOS 2024): vLLM-style continuous batching on an NPU whose memory is
PIM-enabled DRAM (:class:`archsim.arch.npu.NpuPimDesign`).  Prefill iterations run on the NPU; decode iterations
run on the whole design, which cuts the batch into ``sub_batches`` and overlaps one sub-batch's attention on PIM
with another's GEMMs on the NPU (``mode``/``sub_batches`` of the design choose NPU-only, naive NPU+PIM or
interleaved).  The design models a decode batch of one context length: serving passes the batch's mean KV length
(rounded up; reported as ``uniform_context``)."""

from __future__ import annotations

from archsim.core.errors import ConfigError
from archsim.serving.iteration import _is_hetero
from archsim.serving.schedulers import register_scheduler
from archsim.serving.schedulers.vllm import VllmScheduler


@register_scheduler
class NeupimsScheduler(VllmScheduler):
    """Continuous batching on an NPU+PIM design (options as :class:`VllmScheduler`)."""

    name = "neupims"

    def setup(self, design, spec) -> None:
        if not _is_hetero(design):
            raise ConfigError(f"scheduler neupims needs an NPU+PIM design (type npu-pim), not "
                              f"{type(design).__name__} {getattr(design, 'name', '')!r}")
        super().setup(design, spec)

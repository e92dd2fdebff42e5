"""validation/gpu/collectives.py (issue 22): the parts that run without a GPU or torch."""

import importlib.util
from pathlib import Path

import pytest

from archsim.network import BUS_FACTOR

_PATH = Path(__file__).resolve().parents[2] / "validation" / "gpu" / "collectives.py"
_spec = importlib.util.spec_from_file_location("collectives_script", _PATH)
script = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(script)


def test_sizes_are_powers_of_two_from_1_mib_to_4_gib():
    s = script.sizes(script.parse_bytes("1MiB"), script.parse_bytes("4GiB"))
    assert s[0] == 1 << 20 and s[-1] == 4 << 30 and len(s) == 13
    assert script.parse_bytes("64M") == 64 << 20 and script.parse_bytes("1048576") == 1 << 20


@pytest.mark.parametrize("op", ["all_reduce", "all_gather", "reduce_scatter", "all_to_all"])
@pytest.mark.parametrize("p", [2, 4, 8])
def test_bus_factors_match_the_models(op, p):
    assert script.BUS_FACTOR[op](p) == pytest.approx(BUS_FACTOR[op](p))


def test_nccl_choice_reads_only_its_slice_and_decodes_enums(tmp_path):
    log = tmp_path / "nccl.host.1.log"
    first = "host:1:1 [0] NCCL INFO 1048576 Bytes -> Algo 0 proto 0 time 9.1\n"
    second = ("host:1:1 [0] NCCL INFO AllReduce: 2097152 Bytes -> Algo 1 proto 2 time 20.0\n"
              "host:1:1 [0] NCCL INFO 2097152 Bytes -> Algo 1 proto 2 time 20.0\n")
    log.write_text(first + second)
    assert script.nccl_choice(str(log), 0, len(first)) == ("TREE", "LL")
    assert script.nccl_choice(str(log), len(first), len(first + second)) == ("RING", "SIMPLE")
    assert script.nccl_choice(str(log), 0, 0) == ("unknown", "unknown")

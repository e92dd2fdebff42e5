"""Collectives: bytes equal the closed forms; times equal the alpha-beta forms where no overhead applies."""

import json

import numpy as np
import pytest

from archsim.core.errors import ConfigError
from archsim.network import Link, Ring, Switch, Torus, TwoLevel, choose, collective

S = 1 << 28


def _switch(n=8, **kw):
    return Switch(num_devices=n, link=Link(100.0, latency_us=0.0), **kw)


@pytest.mark.parametrize("p", [2, 3, 4, 8])
def test_ring_all_reduce_sends_2_p_minus_1_over_p_of_the_buffer(p):
    r = collective(_switch(), "all_reduce", S, p, "ring")
    assert r.bytes_sent_per_device == pytest.approx(2 * (p - 1) / p * S, rel=1e-12)
    assert r.link_bytes == pytest.approx(2 * p * r.bytes_sent_per_device)  # 2 links per message on a switch


@pytest.mark.parametrize("op", ["all_gather", "reduce_scatter", "all_to_all"])
@pytest.mark.parametrize("p", [2, 4, 8])
def test_other_collectives_send_p_minus_1_over_p(op, p):
    r = collective(_switch(), op, S, p)
    assert r.bytes_sent_per_device == pytest.approx((p - 1) / p * S, rel=1e-12)


@pytest.mark.parametrize("p", [2, 4, 8])
def test_ring_time_is_alpha_beta_closed_form(p):
    lat_us, step_us = 0.7, 1.3
    topo = Switch(num_devices=8, link=Link(100.0, latency_us=lat_us), step_overhead_us=step_us, launch_us=0.0)
    r = collective(topo, "all_reduce", S, p, "ring")
    alpha = 2 * lat_us * 1e-6 + step_us * 1e-6
    assert r.seconds == pytest.approx(2 * (p - 1) * (alpha + S / p / 100e9), rel=1e-12)
    assert r.busbw_gbps == pytest.approx(2 * (p - 1) / p * S / r.seconds / 1e9)


def test_contention_two_senders_into_one_port_take_twice_as_long():
    topo = _switch()
    even = collective(topo, "all_to_all", S, 4, counts=np.array([[0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1],
                                                                  [1, 0, 0, 0]]) * 1e6)
    hot = collective(topo, "all_to_all", S, 4, counts=np.array([[0, 1, 0, 0], [0, 0, 0, 0], [1, 0, 0, 0],
                                                                 [1, 0, 0, 0]]) * 1e6)
    assert hot.seconds == pytest.approx(2 * even.seconds)


def test_torus_route_hops_are_wraparound_manhattan_distance():
    t = Torus(dims=(4, 4, 2), link=Link(10.0, latency_us=1.0))
    src = np.arange(32)
    dst = (src * 7 + 3) % 32
    fi, li, lat = t.route(src, dst)
    hops = np.bincount(fi, minlength=32)
    cs, cd = np.array(np.unravel_index(src, t.dims)), np.array(np.unravel_index(dst, t.dims))
    d = np.abs(cs - cd)
    want = np.minimum(d, np.array(t.dims)[:, None] - d).sum(axis=0)
    assert np.array_equal(hops, want)
    assert np.allclose(lat, want * 1e-6)


def test_ring_bidirectional_halves_ring_time_on_a_ring():
    r = Ring(num_devices=8, link=Link(50.0, latency_us=0.0))
    one, two = collective(r, "all_reduce", S, 8, "ring"), collective(r, "all_reduce", S, 8, "ring_bidir")
    assert two.seconds == pytest.approx(one.seconds / 2)


def test_two_level_rail_optimized_relays_over_nvlink_and_hierarchical_wins():
    t = TwoLevel(nodes=2, per_node=4, intra=Link(400.0, latency_us=0.0), inter=Link(50.0, latency_us=0.0))
    fi, li, _ = t.route(np.array([0]), np.array([5]))  # local rank 0 -> node 1 local rank 1: via GPU 1's NIC
    assert list(li) == [0, 4 * 1 + 1, 4 * 1 + 2, 4 * 5 + 3]
    table = choose(t, "all_reduce", 1 << 30)
    assert table[0]["algorithm"] == "hierarchical"


def test_hierarchical_all_reduce_bytes_closed_form():
    t = TwoLevel(nodes=2, per_node=4, intra=Link(400.0), inter=Link(50.0))
    r = collective(t, "all_reduce", S, 8, "hierarchical")
    # reduce-scatter + all-gather inside nodes (4) then across nodes (2) on a quarter of the data
    assert r.bytes_sent_per_device == pytest.approx(2 * (3 / 4 * S + 1 / 2 * S / 4))


def test_one_rank_costs_nothing_but_launch():
    r = collective(_switch(launch_us=3.0), "all_reduce", S, 1)
    assert r.seconds == pytest.approx(3e-6) and r.bytes_sent_per_device == 0 and r.busbw_gbps == 0


def test_bad_inputs_are_config_errors():
    with pytest.raises(ConfigError, match="^op must be one of"):
        collective(_switch(), "broadcast", S)
    with pytest.raises(ConfigError, match="^ranks must be at most the topology's 8 devices, not 9$"):
        collective(_switch(), "all_reduce", S, 9)
    with pytest.raises(ConfigError, match="hierarchical needs a multi-level topology"):
        collective(_switch(), "all_reduce", S, 8, "hierarchical")


def test_cli_collective_json(capsys):
    from archsim.cli import main

    assert main(["collective", "--system", "dgx-h100", "--op", "all_reduce", "--bytes", "1073741824", "--gpus",
                 "8", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["algorithm"] in ("ring", "tree") and out["seconds"] > 0
    assert out["bus_bandwidth_gbps"] == pytest.approx(2 * 7 / 8 * (1 << 30) / out["seconds"] / 1e9)
    assert main(["collective", "--system", "dgx-h100", "--op", "all_reduce", "--bytes", "x"]) == 2


def test_chooser_tree_for_small_ring_for_large_on_dgx_h100():
    import archsim

    topo = archsim.load_design("dgx-h100").topology
    small, large = choose(topo, "all_reduce", 1 << 20, 8), choose(topo, "all_reduce", 1 << 30, 8)
    assert small[0]["algorithm"] == "tree" and large[0]["algorithm"] == "ring"
    assert large[0]["seconds"] <= large[1]["seconds"]


def test_torus_hierarchical_uses_both_directions_and_matches_closed_form_bytes():
    t = Torus(dims=(4, 4), link=Link(50.0, latency_us=0.0))
    r = collective(t, "all_reduce", S, None, "hierarchical")
    assert r.bytes_sent_per_device == pytest.approx(2 * (3 / 4 * S + 3 / 4 * S / 4))
    # two halves run the dimensions in both orders at once; each level's ring carries half of its shard each
    # way: 2 x 3 steps x (S/16 + S/64) / B
    assert r.seconds == pytest.approx(6 * (S / 16 + S / 64) / 50e9)
    uneven = collective(Torus(dims=(4, 8), link=Link(50.0, latency_us=0.0)), "all_reduce", S, None, "hierarchical")
    assert uneven.bytes_sent_per_device == pytest.approx(2 * (7 / 8 * S + 3 / 4 * S / 8))
    # no rotation (levels differ): rings along the 8-long dimension first, then the 4-long one on S/8
    assert uneven.seconds == pytest.approx(2 * (7 * S / 16 + 3 * S / 64) / 50e9)


def test_two_level_ring_channels_spread_inter_node_traffic_over_every_nic():
    t = TwoLevel(nodes=2, per_node=4, intra=Link(400.0, latency_us=0.0), inter=Link(50.0, latency_us=0.0))
    r = collective(t, "all_reduce", S, 8, "ring")
    assert r.bytes_sent_per_device == pytest.approx(2 * 7 / 8 * S)
    # every NIC (link class 1) carries the same share: 4 channels x 2 crossings x 14 steps x S/8/4 bytes
    assert r.link_bytes_by_class[1] == pytest.approx(2 * (4 * 2 * 14 * S / 8 / 4))

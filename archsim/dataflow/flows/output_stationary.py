"""Output stationary (``os``): each PE accumulates one output; A streams from the left, B from the top.

Fold loops (outer .. inner): batch, m-tile, n-tile, k-chunk; stream ``K``; stationary: the
``R x C`` output tile (docs/microarch.md, OS array).
"""

from __future__ import annotations

import numpy as np

from archsim.dataflow.registry import SystolicDataflow, cdiv, register_dataflow


@register_dataflow
class OutputStationary(SystolicDataflow):
    """Output stationary: ``R x C`` accumulators, ``K`` streamed (chunked when it does not fit)."""

    name = "os"
    hardware = "os"
    stationary = None
    blocked = None
    summary = "output stationary: outputs stay in the PEs, A and B stream (stream K)"
    rank = 0

    def stream(self, M, K, N):
        return K

    def loops(self, R, C, M, K, N, chunks):
        return cdiv(M, R), cdiv(N, C), chunks

    def fold_fields(self, plan, b, i1, i2, i3):
        R, C, M, N, q, Lc = plan.rows, plan.cols, plan.M, plan.N, plan.chunks, plan.chunk_len
        l1, l2, _ = plan.loops
        mi, ni, ci = i1, i2, i3
        m0, n0, k0 = mi * R, ni * C, ci * Lc
        L = np.where(ci == q - 1, plan.last_chunk_len, Lc)
        r = np.minimum(R, M - m0)
        c = np.minimum(C, N - n0)
        return {
            "m0": m0, "k0": k0, "n0": n0, "L": L, "r": r, "c": c,
            "a_key": np.ravel_multi_index((b, mi, ci), (plan.batch, l1, q)),
            "a_scope": np.ravel_multi_index((b, mi), (plan.batch, l1)),
            "b_key": np.ravel_multi_index((b, ci, ni), (plan.batch, q, l2)),
            "b_scope": b,
            "out_key": np.ravel_multi_index((b, mi, ni), (plan.batch, l1, l2)),
            "out_first": ci == 0, "out_last": ci == q - 1,
            "a_elems": r * L, "b_elems": L * c, "out_elems": r * c,
        }

    def scope_elems(self, plan, fa):
        return fa["r"] * plan.K, np.full_like(fa["b"], plan.K * plan.N)

    def padded_shape(self, R, C, M, K, N, loops):
        l1, l2, _ = loops
        return l1 * R, K, l2 * C

    def buffer_needs(self, R, C, a_bytes, b_bytes, acc_bytes):
        return [("ifmap", R * a_bytes, f"column of {R} A elements"),
                ("filter", C * b_bytes, f"row of {C} B elements"),
                ("ofmap", R * C * acc_bytes, f"{R}x{C} output tile")]

    def stream_limits(self, R, C, a_bytes, b_bytes, acc_bytes, halves):
        return [halves["ifmap"] // (R * a_bytes), halves["filter"] // (C * b_bytes)]

    def fold_tail(self, R, C, mac_depth, L):
        return L + mac_depth + 2 * R + C - 3

    def scalesim_fold_cycles(self, R, C, M, K, N):
        return K + R + C - 2

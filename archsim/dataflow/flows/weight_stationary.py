"""Weight stationary (``ws``): PE(i,j) holds ``B[k0+i, n0+j]``; rows of A stream from the left.

Fold loops (outer .. inner): batch, m-chunk, n-tile, k-tile; stream ``M``; stationary: the
``B[k-tile, n-tile]`` tile, preloaded from the top edge (docs/microarch.md, stationary array).
"""

from __future__ import annotations

import numpy as np

from archsim.dataflow.registry import SystolicDataflow, cdiv, register_dataflow


@register_dataflow
class WeightStationary(SystolicDataflow):
    """Weight stationary: B tiles preloaded, ``M`` streamed (chunked when it does not fit)."""

    name = "ws"
    hardware = "stationary"
    stationary = "b"
    blocked = "a"
    summary = "weight stationary: B tile held in the PEs, rows of A stream (stream M)"
    rank = 1

    def stream(self, M, K, N):
        return M

    def loops(self, R, C, M, K, N, chunks):
        return chunks, cdiv(N, C), cdiv(K, R)

    def fold_fields(self, plan, b, i1, i2, i3):
        R, C, K, N, q, Lc = plan.rows, plan.cols, plan.K, plan.N, plan.chunks, plan.chunk_len
        _, l2, l3 = plan.loops
        qi, ni, ki = i1, i2, i3
        m0, n0, k0 = qi * Lc, ni * C, ki * R
        L = np.where(qi == q - 1, plan.last_chunk_len, Lc)
        r = np.minimum(R, K - k0)
        c = np.minimum(C, N - n0)
        return {
            "m0": m0, "k0": k0, "n0": n0, "L": L, "r": r, "c": c,
            "a_key": np.ravel_multi_index((b, qi, ki), (plan.batch, q, l3)),
            "a_scope": np.ravel_multi_index((b, qi), (plan.batch, q)),
            "b_key": np.ravel_multi_index((b, ki, ni), (plan.batch, l3, l2)),
            "b_scope": b,
            "out_key": np.ravel_multi_index((b, qi, ni), (plan.batch, q, l2)),
            "out_first": ki == 0, "out_last": ki == l3 - 1,
            "a_elems": L * r, "b_elems": r * c, "out_elems": L * c,
        }

    def scope_elems(self, plan, fa):
        return fa["L"] * plan.K, np.full_like(fa["b"], plan.K * plan.N)

    def padded_shape(self, R, C, M, K, N, loops):
        _, l2, l3 = loops
        return M, l3 * R, l2 * C

    def buffer_needs(self, R, C, a_bytes, b_bytes, acc_bytes):
        return [("filter", R * C * b_bytes, f"{R}x{C} weight tile"),
                ("ifmap", R * a_bytes, f"row of {R} A elements"),
                ("ofmap", C * acc_bytes, f"row of {C} partial sums")]

    def stream_limits(self, R, C, a_bytes, b_bytes, acc_bytes, halves):
        return [halves["ifmap"] // (R * a_bytes), halves["ofmap"] // (C * acc_bytes)]

    def fold_tail(self, R, C, mac_depth, L):
        return L + R + C + mac_depth - 2

    def scalesim_fold_cycles(self, R, C, M, K, N):
        return 2 * R + M + C - 2

    def stationary_tile(self, Ap, Bp, b, m0, k0, n0, R, C, L):
        stat = Bp[b, k0 : k0 + R, n0 : n0 + C]  # R x C, PE(i,j) = B[k0+i, n0+j]
        stream = Ap[b, m0 : m0 + L, k0 : k0 + R].T  # R x L: row i gets A[m0+l, k0+i]
        return stat, stream

    def output_index(self, m0, n0, ll, jj):
        return m0 + ll + 0 * jj, n0 + jj + 0 * ll

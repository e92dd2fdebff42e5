"""Input stationary (``is``): PE(i,j) holds ``A[m0+j, k0+i]``; columns of B stream from the left.

IS is WS with A and B exchanged (it computes ``C^T = B^T A^T``), on the same stationary array.
Fold loops (outer .. inner): batch, n-chunk, m-tile, k-tile; stream ``N``; stationary: the
transposed ``A[m-tile, k-tile]`` tile (docs/microarch.md).
"""

from __future__ import annotations

import numpy as np

from archsim.dataflow.registry import SystolicDataflow, cdiv, register_dataflow


@register_dataflow
class InputStationary(SystolicDataflow):
    """Input stationary: A tiles preloaded (transposed), ``N`` streamed (chunked when it does not fit)."""

    name = "is"
    hardware = "stationary"
    stationary = "a"
    blocked = "b"
    summary = "input stationary: A tile held in the PEs, columns of B stream (stream N)"
    rank = 2

    def stream(self, M, K, N):
        return N

    def loops(self, R, C, M, K, N, chunks):
        return chunks, cdiv(M, C), cdiv(K, R)

    def fold_fields(self, plan, b, i1, i2, i3):
        R, C, M, K, q, Lc = plan.rows, plan.cols, plan.M, plan.K, plan.chunks, plan.chunk_len
        _, l2, l3 = plan.loops
        qi, mi, ki = i1, i2, i3
        n0, m0, k0 = qi * Lc, mi * C, ki * R
        L = np.where(qi == q - 1, plan.last_chunk_len, Lc)
        r = np.minimum(R, K - k0)
        c = np.minimum(C, M - m0)
        return {
            "m0": m0, "k0": k0, "n0": n0, "L": L, "r": r, "c": c,
            "a_key": np.ravel_multi_index((b, mi, ki), (plan.batch, l2, l3)),
            "a_scope": b,
            "b_key": np.ravel_multi_index((b, ki, qi), (plan.batch, l3, q)),
            "b_scope": np.ravel_multi_index((b, qi), (plan.batch, q)),
            "out_key": np.ravel_multi_index((b, mi, qi), (plan.batch, l2, q)),
            "out_first": ki == 0, "out_last": ki == l3 - 1,
            "a_elems": c * r, "b_elems": r * L, "out_elems": c * L,
        }

    def scope_elems(self, plan, fa):
        return np.full_like(fa["b"], plan.M * plan.K), plan.K * fa["L"]

    def swapped_scope_elems(self, plan, fa):
        return fa["c"] * plan.K, np.full_like(fa["b"], plan.K * plan.N)

    def padded_shape(self, R, C, M, K, N, loops):
        _, l2, l3 = loops
        return l2 * C, l3 * R, N

    def buffer_needs(self, R, C, a_bytes, b_bytes, acc_bytes):
        return [("ifmap", R * C * a_bytes, f"{C}x{R} input tile"),
                ("filter", R * b_bytes, f"column of {R} B elements"),
                ("ofmap", C * acc_bytes, f"column of {C} partial sums")]

    def stream_limits(self, R, C, a_bytes, b_bytes, acc_bytes, halves):
        return [halves["filter"] // (R * b_bytes), halves["ofmap"] // (C * acc_bytes)]

    def fold_tail(self, R, C, mac_depth, L):
        return L + R + C + mac_depth - 2

    def scalesim_fold_cycles(self, R, C, M, K, N):
        return 2 * R + N + C - 2

    def stationary_tile(self, Ap, Bp, b, m0, k0, n0, R, C, L):
        stat = Ap[b, m0 : m0 + C, k0 : k0 + R].T  # R x C, PE(i,j) = A[m0+j, k0+i]
        stream = Bp[b, k0 : k0 + R, n0 : n0 + L]  # R x L: row i gets B[k0+i, n0+l]
        return stat, stream

    def output_index(self, m0, n0, ll, jj):
        return m0 + jj + 0 * ll, n0 + ll + 0 * jj

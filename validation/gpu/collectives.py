"""Measure NCCL collectives on one multi-GPU node; writes a CSV for validating archsim.network (issue 22).

Method (what each CSV row means)
--------------------------------
* One process per GPU (``torch.multiprocessing.spawn`` when started plainly, or under ``torchrun``, which
  sets ``WORLD_SIZE``/``RANK``/``LOCAL_RANK``), backend ``nccl``, dtype bf16 by default.
* Collectives: ``all_reduce`` (sum, in place), ``all_gather`` (``all_gather_single``, or
  ``all_gather_into_tensor`` before torch 2.13), ``reduce_scatter`` (``reduce_scatter_single`` /
  ``reduce_scatter_tensor``, sum) and ``all_to_all`` (``all_to_all_single``, equal splits).
* ``size_bytes`` follows nccl-tests (NVIDIA/nccl-tests, doc/PERFORMANCE.md): the all-reduce buffer; the
  all-gather *output* (= per-rank input x ranks); the reduce-scatter *input*; the all-to-all per-rank send
  buffer. Sizes are powers of two from ``--min-bytes`` (1 MiB) to ``--max-bytes`` (4 GiB).
* Each size: ``--warmup`` untimed calls, then ``--iters`` calls each timed alone with CUDA events on the
  current stream; a rank's time is the median of its calls; the row's time is the maximum of the ranks'
  medians (a collective is done when its slowest rank is done). min/max are over all ranks' calls.
* ``algbw_gbps = size_bytes / time / 1e9``; ``busbw_gbps = algbw x factor`` with nccl-tests' factors:
  all-reduce 2(n-1)/n, all-gather, reduce-scatter and all-to-all (n-1)/n (so 1 GPU gives busbw 0: a dry run).
* NVLink SHARP / multicast is forced off: ``NCCL_NVLS_ENABLE=0`` is set before NCCL starts (the machine's
  notes require it), whatever the caller's environment says.
* ``algorithm``/``protocol``: what NCCL chose, read from rank 0's own NCCL log (``NCCL_DEBUG=INFO``,
  ``NCCL_DEBUG_SUBSYS=TUNING``, one file per rank): the lines written while that collective and size ran; if the caller
  pins ``NCCL_ALGO``/``NCCL_PROTO`` those values are reported; all-to-all is NCCL point-to-point ("p2p").
  ``unknown`` when this NCCL version does not log its choice.
* Every result is checked once per size (ranks fill their input with rank+1; the sums/gathers are exact in
  bf16 for <= 64 ranks); a wrong result aborts the run rather than writing a number.

Usage
-----
    python validation/gpu/collectives.py                          # all GPUs, 1 MiB..4 GiB
    python validation/gpu/collectives.py --max-bytes 64MiB        # a short run
    torchrun --nproc-per-node 8 validation/gpu/collectives.py -o validation/data/collectives_h100x8.csv
    python validation/gpu/collectives.py --backend gloo --gpus 2 --dtype float32 --max-bytes 4MiB  # CPU smoke

With one GPU it is a dry run: everything runs (NCCL with one rank), busbw is 0 by definition.
"""

from __future__ import annotations

import argparse
import csv
import datetime as _dt
import glob
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile

COLLECTIVES = ("all_reduce", "all_gather", "reduce_scatter", "all_to_all")
# nccl-tests bus-bandwidth factors (NVIDIA/nccl-tests doc/PERFORMANCE.md), n = ranks
BUS_FACTOR = {
    "all_reduce": lambda n: 2.0 * (n - 1) / n,
    "all_gather": lambda n: (n - 1) / n,
    "reduce_scatter": lambda n: (n - 1) / n,
    "all_to_all": lambda n: (n - 1) / n,
}
# NCCL algorithm / protocol enums (nccl src/include/nccl_common.h: NCCL_ALGO_TREE=0 ... NCCL_PROTO_LL=0 ...)
NCCL_ALGOS = ("TREE", "RING", "COLLNET_DIRECT", "COLLNET_CHAIN", "NVLS", "NVLS_TREE", "PAT")
NCCL_PROTOS = ("LL", "LL128", "SIMPLE")
CSV_FIELDS = (
    "collective", "gpus", "size_bytes", "count_elems", "dtype", "time_us_median", "time_us_min", "time_us_max",
    "algbw_gbps", "busbw_gbps", "algorithm", "protocol", "iters", "warmup", "backend", "nvls_enable",
    "nccl_version", "driver_version", "cuda_version", "torch_version", "gpu_name", "hostname", "timestamp_utc",
)


def parse_bytes(text: str) -> int:
    """Return a byte count from '1048576', '1MiB', '64M', '4GiB', '4G' (binary units)."""
    m = re.fullmatch(r"\s*(\d+)\s*([KMGT]?)(i?B)?\s*", text, flags=re.IGNORECASE)
    if not m:
        raise argparse.ArgumentTypeError(f"bad byte count {text!r}: use e.g. 1048576, 1MiB, 4GiB")
    scale = {"": 1, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}[m.group(2).upper()]
    return int(m.group(1)) * scale


def sizes(min_bytes: int, max_bytes: int) -> list[int]:
    """Return the powers of two from min_bytes to max_bytes inclusive, in bytes."""
    out, s = [], 1
    while s < min_bytes:
        s *= 2
    while s <= max_bytes:
        out.append(s)
        s *= 2
    return out


def driver_version() -> str:
    """Return the NVIDIA driver version from nvidia-smi, or 'n/a'."""
    try:
        out = subprocess.run(["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"],
                             capture_output=True, text=True, timeout=30, check=True).stdout
        return out.strip().splitlines()[0].strip()
    except (OSError, subprocess.SubprocessError, IndexError):
        return "n/a"


_CHOICE = re.compile(r"(\d+)\s+Bytes\s*->\s*Algo\s+(\w+)\s+proto\s+(\w+)", re.IGNORECASE)


def _own_log(log_dir: str) -> str | None:
    """Return this process's NCCL debug file (NCCL_DEBUG_FILE=<dir>/nccl.%h.%p.log), or None."""
    hits = glob.glob(os.path.join(log_dir, f"nccl.*.{os.getpid()}.log"))
    return hits[0] if hits else None


def _log_size(path: str | None) -> int:
    return os.path.getsize(path) if path and os.path.exists(path) else 0


def nccl_choice(path: str | None, start: int, end: int) -> tuple[str, str]:
    """Return NCCL's most frequent (algorithm, protocol) logged between byte offsets start and end of path.

    NCCL's TUNING subsystem logs one line per call, e.g. ``NCCL INFO 524288 Bytes -> Algo 5 proto 2 time 59.5``
    (NCCL >= 2.19; numbers are enums: nccl src/include/nccl_common.h), with or without the function name;
    reading only the slice written while one (collective, size) ran keeps collectives apart.
    ``("unknown", "unknown")`` when nothing was logged (older NCCL, or logging unavailable).
    """
    if not path or end <= start:
        return "unknown", "unknown"
    with open(path, "rb") as fh:
        fh.seek(start)
        text = fh.read(end - start).decode(errors="replace")
    votes: dict[tuple[str, str], int] = {}
    for m in _CHOICE.finditer(text):
        algo, proto = m.group(2), m.group(3)
        if algo.isdigit() and int(algo) < len(NCCL_ALGOS):
            algo = NCCL_ALGOS[int(algo)]
        if proto.isdigit() and int(proto) < len(NCCL_PROTOS):
            proto = NCCL_PROTOS[int(proto)]
        key = (algo.upper(), proto.upper())
        votes[key] = votes.get(key, 0) + 1
    if not votes:
        return "unknown", "unknown"
    return max(votes, key=votes.get)


def _run_op(dist, name, inp, out):
    if name == "all_reduce":
        dist.all_reduce(inp)
    elif name == "all_gather":  # all_gather_single replaces all_gather_into_tensor from torch 2.13
        fn = getattr(dist, "all_gather_single", None) or dist.all_gather_into_tensor
        fn(out, inp)
    elif name == "reduce_scatter":
        fn = getattr(dist, "reduce_scatter_single", None) or dist.reduce_scatter_tensor
        fn(out, inp)
    else:
        dist.all_to_all_single(out, inp)


def _buffers(torch, name, size_bytes, n, dtype, device):
    """Return (input, output, elements in the nccl-tests 'size' buffer) for one collective at one size."""
    elem = torch.tensor([], dtype=dtype).element_size()
    count = size_bytes // elem
    count -= count % n  # divisible by ranks
    if name == "all_reduce":
        return torch.empty(count, dtype=dtype, device=device), None, count
    if name == "all_gather":
        return (torch.empty(count // n, dtype=dtype, device=device),
                torch.empty(count, dtype=dtype, device=device), count)
    if name == "reduce_scatter":
        return (torch.empty(count, dtype=dtype, device=device),
                torch.empty(count // n, dtype=dtype, device=device), count)
    return (torch.empty(count, dtype=dtype, device=device),
            torch.empty(count, dtype=dtype, device=device), count)


def _check(torch, name, inp, out, rank, n):
    """Raise RuntimeError if one call of the collective gave a wrong result (inputs are rank+1)."""
    total = n * (n + 1) / 2
    if name == "all_reduce":
        ok = bool(torch.all(inp == total))
    elif name == "reduce_scatter":
        ok = bool(torch.all(out == total))
    elif name == "all_gather":
        expect = torch.arange(1, n + 1, dtype=out.dtype, device=out.device).repeat_interleave(out.numel() // n)
        ok = bool(torch.equal(out, expect))
    else:  # all_to_all: block j of my output came from rank j
        expect = torch.arange(1, n + 1, dtype=out.dtype, device=out.device).repeat_interleave(out.numel() // n)
        ok = bool(torch.equal(out, expect))
    if not ok:
        raise RuntimeError(f"{name}: wrong result on rank {rank} with {n} ranks")


def _timed(torch, dist, name, inp, out, iters, warmup, cuda):
    """Return this rank's per-call times in seconds."""
    import time

    for _ in range(warmup):
        _run_op(dist, name, inp, out)
    times = []
    if cuda:
        torch.cuda.synchronize()
        for _ in range(iters):
            a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            a.record()
            _run_op(dist, name, inp, out)
            b.record()
            b.synchronize()
            times.append(a.elapsed_time(b) * 1e-3)
    else:
        for _ in range(iters):
            t0 = time.perf_counter()
            _run_op(dist, name, inp, out)
            times.append(time.perf_counter() - t0)
    return times


def worker(local_rank: int, args: argparse.Namespace, world: int, log_dir: str) -> None:
    """Run the sweep as one rank; rank 0 writes the CSV."""
    import torch
    import torch.distributed as dist

    rank = int(os.environ.get("RANK", local_rank))
    local_rank = int(os.environ.get("LOCAL_RANK", local_rank))
    os.environ.setdefault("MASTER_ADDR", "127.0.0.1")
    os.environ.setdefault("MASTER_PORT", str(args.port))
    cuda = args.backend == "nccl"
    if cuda:
        torch.cuda.set_device(local_rank)
        device = torch.device("cuda", local_rank)
    else:
        device = torch.device("cpu")
    try:  # device_id (torch >= 2.3) binds the NCCL communicator to this GPU eagerly
        dist.init_process_group(args.backend, rank=rank, world_size=world, **({"device_id": device} if cuda else {}))
    except TypeError:
        dist.init_process_group(args.backend, rank=rank, world_size=world)
    n = dist.get_world_size()
    dtype = getattr(torch, args.dtype)
    rows = []
    own_log = _own_log(log_dir) if cuda and rank == 0 else None
    for name in args.ops:
        for size in sizes(args.min_bytes, args.max_bytes):
            try:
                inp, out, count = _buffers(torch, name, size, n, dtype, device)
            except torch.cuda.OutOfMemoryError:
                if rank == 0:
                    print(f"{name} {size} B: out of memory, skipped", file=sys.stderr)
                continue
            inp.fill_(rank + 1)
            try:
                _run_op(dist, name, inp, out)
            except (RuntimeError, ValueError) as exc:  # e.g. gloo lacks reduce_scatter
                if rank == 0:
                    print(f"{name}: not supported by backend {args.backend} ({str(exc).splitlines()[0]})",
                          file=sys.stderr)
                break
            _check(torch, name, inp, out, rank, n)
            log_start = _log_size(own_log)
            times = _timed(torch, dist, name, inp, out, args.iters, args.warmup, cuda)
            choice = nccl_choice(own_log, log_start, _log_size(own_log))
            med = torch.tensor([statistics.median(times), min(times), max(times)], dtype=torch.float64)
            med_max = med.clone().to(device)
            dist.all_reduce(med_max, op=dist.ReduceOp.MAX)
            med_min = med.clone().to(device)
            dist.all_reduce(med_min, op=dist.ReduceOp.MIN)
            del inp, out
            if cuda:
                torch.cuda.empty_cache()
            t_med, t_min, t_max = float(med_max[0]), float(med_min[1]), float(med_max[2])
            nbytes = count * torch.tensor([], dtype=dtype).element_size()
            algbw = nbytes / t_med / 1e9
            rows.append({
                "collective": name, "gpus": n, "size_bytes": nbytes, "count_elems": count, "dtype": args.dtype,
                "time_us_median": round(t_med * 1e6, 3), "time_us_min": round(t_min * 1e6, 3),
                "time_us_max": round(t_max * 1e6, 3), "algbw_gbps": round(algbw, 3),
                "busbw_gbps": round(algbw * BUS_FACTOR[name](n), 3), "_choice": choice,
            })
            if rank == 0:
                r = rows[-1]
                print(f"{name:>15} {nbytes:>12} B  {r['time_us_median']:>12.1f} us  algbw {r['algbw_gbps']:8.2f}"
                      f"  busbw {r['busbw_gbps']:8.2f} GB/s", file=sys.stderr, flush=True)
    dist.barrier()
    dist.destroy_process_group()
    if rank != 0:
        return
    meta = {
        "iters": args.iters, "warmup": args.warmup, "backend": args.backend,
        "nvls_enable": os.environ.get("NCCL_NVLS_ENABLE", ""),
        "nccl_version": (".".join(map(str, torch.cuda.nccl.version())) if cuda else "n/a"),
        "driver_version": driver_version() if cuda else "n/a",
        "cuda_version": str(torch.version.cuda), "torch_version": torch.__version__,
        "gpu_name": torch.cuda.get_device_name(local_rank) if cuda else "cpu",
        "hostname": socket.gethostname(),
        "timestamp_utc": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    pinned_algo, pinned_proto = os.environ.get("NCCL_ALGO"), os.environ.get("NCCL_PROTO")
    for r in rows:
        if not cuda:
            algo, proto = args.backend, "n/a"
        elif r["collective"] == "all_to_all":
            algo, proto = "p2p", pinned_proto or "unknown"
        else:
            algo, proto = r["_choice"]
            algo, proto = pinned_algo or algo, pinned_proto or proto
        r.pop("_choice", None)
        r.update(algorithm=algo, protocol=proto, **meta)
    out_path = args.out or os.path.join(
        "validation", "data", f"collectives_{meta['gpu_name'].replace(' ', '_').lower()}_{rows[0]['gpus']}gpu.csv"
        if rows else "collectives.csv")
    os.makedirs(os.path.dirname(out_path) or ".", exist_ok=True)
    with open(out_path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=CSV_FIELDS)
        w.writeheader()
        w.writerows(rows)
    print(f"wrote {len(rows)} rows to {out_path}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, set NCCL's environment, start one process per GPU; return the exit status."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--gpus", type=int, default=None, help="ranks to start (default: every visible GPU)")
    p.add_argument("--min-bytes", type=parse_bytes, default=2**20, help="smallest size (default 1MiB)")
    p.add_argument("--max-bytes", type=parse_bytes, default=4 * 2**30, help="largest size (default 4GiB)")
    p.add_argument("--ops", nargs="+", choices=COLLECTIVES, default=list(COLLECTIVES))
    p.add_argument("--iters", type=int, default=20, help="timed calls per size (median taken)")
    p.add_argument("--warmup", type=int, default=5, help="untimed calls per size")
    p.add_argument("--dtype", default="bfloat16", choices=("bfloat16", "float16", "float32"))
    p.add_argument("--backend", default="nccl", choices=("nccl", "gloo"), help="gloo: CPU smoke test only")
    p.add_argument("--port", type=int, default=29517)
    p.add_argument("-o", "--out", default=None, help="CSV path (default validation/data/collectives_<gpu>_<n>gpu.csv)")
    args = p.parse_args(argv)
    if args.min_bytes > args.max_bytes or args.iters < 1 or args.warmup < 0:
        p.error("need min-bytes <= max-bytes, iters >= 1, warmup >= 0")
    try:
        import torch
        import torch.multiprocessing as mp
    except ImportError:
        print("error: this script needs PyTorch (pip install torch)", file=sys.stderr)
        return 2
    # NVLink SHARP/multicast off, always (the device machine's notes); must be set before NCCL initializes.
    os.environ["NCCL_NVLS_ENABLE"] = "0"
    log_dir = os.environ.get("COLLECTIVES_NCCL_LOG_DIR") or tempfile.mkdtemp(prefix="nccl_logs_")
    os.environ["COLLECTIVES_NCCL_LOG_DIR"] = log_dir
    if args.backend == "nccl":
        if not torch.cuda.is_available():
            print("error: no CUDA GPU visible (use --backend gloo for a CPU smoke test)", file=sys.stderr)
            return 2
        # NCCL writes which algorithm/protocol it picked per call into one file per rank (%h host, %p pid).
        os.environ.setdefault("NCCL_DEBUG", "INFO")
        os.environ.setdefault("NCCL_DEBUG_SUBSYS", "INIT,TUNING")
        os.environ["NCCL_DEBUG_FILE"] = os.path.join(log_dir, "nccl.%h.%p.log")
    if "WORLD_SIZE" in os.environ:  # under torchrun: this process is one rank
        worker(int(os.environ.get("LOCAL_RANK", 0)), args, int(os.environ["WORLD_SIZE"]), log_dir)
        return 0
    world = args.gpus or (torch.cuda.device_count() if args.backend == "nccl" else 2)
    if args.backend == "nccl" and world > torch.cuda.device_count():
        print(f"error: --gpus {world} but {torch.cuda.device_count()} GPU(s) visible", file=sys.stderr)
        return 2
    mp.spawn(worker, args=(args, world, log_dir), nprocs=world, join=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

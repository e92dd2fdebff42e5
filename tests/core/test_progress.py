"""Progress bar of long runs (issue 15): on stderr only when it is a terminal, only after a few seconds,
off with --quiet; model code reports finished ops/requests through archsim.core.progress.tick."""

from __future__ import annotations

import io
import sys
import time

import archsim
from archsim.core import progress as prog


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_no_bar_when_stderr_is_not_a_terminal(capsys):
    with prog.progress(3, "run") as bar:
        assert bar is None
        prog.tick()
    assert capsys.readouterr().err == ""


def test_bar_counts_the_ops_a_design_runs(monkeypatch):
    tty = _Tty()
    monkeypatch.setattr(sys, "stderr", tty)
    trace = [archsim.Op(f"g{i}", "gemm", 16, 16, 16 * (i + 1)) for i in range(3)]
    with prog.progress(len(trace), "run", delay_s=0.0) as bar:
        archsim.simulate(archsim.load_design("sa128-bf16"), trace)
        assert bar.n == 3
        deadline = time.time() + 5
        while "run:" not in tty.getvalue() and time.time() < deadline:
            time.sleep(0.05)
        prog.tick(unit="request")  # a serving tick does not count on an op bar
        prog.tick(5)  # nested designs may tick more: the bar stops at its total
        assert bar.n == 3
    assert "run:" in tty.getvalue()


def test_bar_waits_its_delay(monkeypatch):
    tty = _Tty()
    monkeypatch.setattr(sys, "stderr", tty)
    with prog.progress(2, "run", delay_s=30.0):
        prog.tick(2)
    assert tty.getvalue() == ""


def test_run_and_serve_take_quiet(capsys):
    from archsim.cli import main

    assert main(["run", "--design", "gemmini", "--gemm", "8,8,8", "--precision", "int8", "--quiet", "--json"]) == 0
    assert "\r" not in capsys.readouterr().err
    assert main(["serve", "--design", "h100-sxm5-80gb", "--model", "gpt2", "--rate", "4", "--requests", "5",
                 "--quiet", "--json"]) == 0

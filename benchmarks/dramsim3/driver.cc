// DRAMsim3 trace driver for benchmarks/bench_dramsim3.py (our code, linked against libdramsim3).
// Front end = DRAMsim3's own TraceBasedCPU (src/cpu.cc): each cycle the memory system ticks, then the
// current trace line is offered if its cycle has come; it is added when WillAcceptTransaction says so,
// otherwise the trace stalls.  Unlike dramsim3main (which runs a fixed -c cycle count) this stops when
// the trace is consumed and every read has returned, and prints exact per-read latencies
// (return cycle - acceptance cycle, as DRAMsim3's read_latency statistic counts them).
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <unordered_map>
#include <deque>
#include <vector>
#include "memory_system.h"

int main(int argc, char **argv) {
    if (argc < 4) { std::cerr << "usage: driver CONFIG.ini TRACE OUTDIR\n"; return 2; }
    std::ifstream in(argv[2]);
    std::vector<uint64_t> addr; std::vector<uint64_t> cyc; std::vector<char> wr;
    std::string a, k; uint64_t c;
    while (in >> a >> k >> c) { addr.push_back(std::stoull(a, nullptr, 16)); wr.push_back(k == "WRITE"); cyc.push_back(c); }
    std::unordered_map<uint64_t, std::deque<uint64_t>> pending;
    std::vector<uint64_t> lat; lat.reserve(addr.size());
    uint64_t clk = 0, last_ret = 0, last_acc = 0;
    size_t n_reads = 0, returned = 0;
    for (char w : wr) n_reads += !w;
    auto read_cb = [&](uint64_t ad) {
        auto &q = pending[ad];
        lat.push_back(clk - q.front()); q.pop_front();
        last_ret = clk; returned++;
    };
    auto write_cb = [&](uint64_t) {};
    dramsim3::MemorySystem *mem = dramsim3::GetMemorySystem(argv[1], argv[3], read_cb, write_cb);
    size_t i = 0;
    while (i < addr.size() || returned < n_reads) {
        mem->ClockTick();
        if (i < addr.size() && cyc[i] <= clk && mem->WillAcceptTransaction(addr[i], wr[i])) {
            mem->AddTransaction(addr[i], wr[i]);
            if (!wr[i]) pending[addr[i]].push_back(clk + 1);  // DRAMsim3 stamps added_cycle after its tick
            last_acc = clk + 1;
            i++;
        }
        clk++;
    }
    std::sort(lat.begin(), lat.end());
    double mean = 0; for (auto v : lat) mean += v; if (!lat.empty()) mean /= lat.size();
    double p99 = lat.empty() ? 0 : (double)lat[std::min(lat.size() - 1, (size_t)(0.99 * (lat.size() - 1) + 0.5))];
    mem->PrintStats();
    std::printf("{\"requests\": %zu, \"reads\": %zu, \"end_cycle\": %llu, \"last_accept\": %llu, "
                "\"mean_read_latency\": %.4f, \"p99_read_latency\": %.1f, \"tck_ns\": %.6f, \"ticks\": %llu}\n",
                addr.size(), n_reads, (unsigned long long)std::max(last_ret, last_acc),
                (unsigned long long)last_acc, mean, p99, mem->GetTCK(), (unsigned long long)clk);
    delete mem;
    return 0;
}

// Deliberate misbehaviour (FAULT_* variables) so pipelines and tests can watch stagegate catch
// slow, failing, crashing, leaking and degrading services. Every choice is deterministic
// (counter based, never random) so tests that rely on it are stable.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "config.hpp"

namespace chat {

// Exit status used by FAULT_CRASH_AFTER_REQUESTS (std::_Exit, no cleanup, no flush).
constexpr int k_crash_exit_code = 3;

class Faults {
  public:
    explicit Faults(FaultConfig config) : m_config(std::move(config)) {}

    const FaultConfig& config() const { return m_config; }

    // 1-based sequence number of a faultable (non-/health, non-/stats) request.
    std::uint64_t next_request_sequence() { return ++m_request_sequence; }
    // The request with this sequence arrived after the crash budget was already spent.
    bool crash_before_serving(std::uint64_t sequence) const;
    // The request with this sequence is the last one to be served before crashing.
    bool crash_after_serving(std::uint64_t sequence) const;
    // Prints "FAULT: crashing after N requests" to stderr and calls std::_Exit(3).
    [[noreturn]] void crash() const;

    void apply_latency() const;      // FAULT_LATENCY_MS
    void apply_query_delay() const;  // FAULT_QUERY_DELAY_MS, called while holding a connection
    void leak_memory();              // FAULT_LEAK_KB_PER_REQUEST
    // FAULT_ERROR_RATE: true for request k (1-based among calls) iff floor(k*rate) increments.
    bool should_inject_error();
    // FAULT_UNHEALTHY_AFTER_S
    bool unhealthy(std::chrono::steady_clock::duration uptime) const;

    std::uint64_t leaked_bytes() const { return m_leaked_bytes.load(); }

  private:
    FaultConfig m_config;
    std::atomic<std::uint64_t> m_request_sequence{0};
    std::atomic<std::uint64_t> m_error_sequence{0};
    std::atomic<std::uint64_t> m_leaked_bytes{0};
    std::mutex m_leak_mutex;
    std::vector<std::unique_ptr<char[]>> m_leaked;  // deliberately never released while running
};

}  // namespace chat

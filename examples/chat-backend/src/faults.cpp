#include "faults.hpp"

#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

namespace chat {

bool Faults::crash_before_serving(std::uint64_t sequence) const {
    return m_config.crash_after_requests > 0 && sequence > m_config.crash_after_requests;
}

bool Faults::crash_after_serving(std::uint64_t sequence) const {
    return m_config.crash_after_requests > 0 && sequence == m_config.crash_after_requests;
}

void Faults::crash() const {
    const std::string line =
        "FAULT: crashing after " + std::to_string(m_config.crash_after_requests) + " requests\n";
    // write(2) rather than stdio: nothing may be buffered when _Exit skips all cleanup.
    [[maybe_unused]] const auto written = ::write(STDERR_FILENO, line.data(), line.size());
    std::_Exit(k_crash_exit_code);
}

void Faults::apply_latency() const {
    if (m_config.latency.count() > 0) {
        std::this_thread::sleep_for(m_config.latency);
    }
}

void Faults::apply_query_delay() const {
    if (m_config.query_delay.count() > 0) {
        std::this_thread::sleep_for(m_config.query_delay);
    }
}

void Faults::leak_memory() {
    if (m_config.leak_kb_per_request == 0) {
        return;
    }
    const std::size_t bytes = m_config.leak_kb_per_request * 1024;
    auto block = std::make_unique<char[]>(bytes);
    std::memset(block.get(), 0xA5, bytes);  // touch every page so RSS really grows
    std::lock_guard lock(m_leak_mutex);
    m_leaked.push_back(std::move(block));
    m_leaked_bytes.fetch_add(bytes);
}

bool Faults::should_inject_error() {
    const double rate = m_config.error_rate;
    if (rate <= 0.0) {
        return false;
    }
    const auto k = static_cast<double>(++m_error_sequence);
    return std::floor(k * rate) > std::floor((k - 1.0) * rate);
}

bool Faults::unhealthy(std::chrono::steady_clock::duration uptime) const {
    if (!m_config.unhealthy_after_s) {
        return false;
    }
    return std::chrono::duration<double>(uptime).count() >= *m_config.unhealthy_after_s;
}

}  // namespace chat

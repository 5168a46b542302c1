#include "rate_limiter.hpp"

namespace chat {

RateLimiter::RateLimiter(std::uint64_t limit_per_window, Clock::duration window)
    : m_limit(limit_per_window), m_window(window), m_last_prune(Clock::now()) {}

RateLimiter::Decision RateLimiter::check(const std::string& client, Clock::time_point now) {
    std::lock_guard lock(m_mutex);
    if (now - m_last_prune >= m_window) {
        prune(now);
    }
    auto [it, inserted] = m_clients.try_emplace(client, Window{now, 0});
    Window& window = it->second;
    if (!inserted && now - window.start >= m_window) {
        window = Window{now, 0};
    }
    if (window.count < m_limit) {
        ++window.count;
        return Decision{true, std::chrono::seconds(0)};
    }
    const auto remaining = window.start + m_window - now;
    auto retry_after = std::chrono::ceil<std::chrono::seconds>(remaining);
    if (retry_after < std::chrono::seconds(1)) {
        retry_after = std::chrono::seconds(1);
    }
    return Decision{false, retry_after};
}

void RateLimiter::prune(Clock::time_point now) {
    m_last_prune = now;
    for (auto it = m_clients.begin(); it != m_clients.end();) {
        if (now - it->second.start >= m_window) {
            it = m_clients.erase(it);
        } else {
            ++it;
        }
    }
}

}  // namespace chat

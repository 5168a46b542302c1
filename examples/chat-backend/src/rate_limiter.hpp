// Per-client-IP request limit over a fixed 60 s window (RATE_LIMIT_PER_MIN). Fixed windows
// are cheap and predictable, which is what the demos need to show 429s on purpose.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

namespace chat {

class RateLimiter {
  public:
    using Clock = std::chrono::steady_clock;

    struct Decision {
        bool allowed = true;
        std::chrono::seconds retry_after{0};  // set when !allowed, at least 1 s
    };

    explicit RateLimiter(std::uint64_t limit_per_window,
                         Clock::duration window = std::chrono::seconds(60));

    Decision check(const std::string& client, Clock::time_point now = Clock::now());

  private:
    struct Window {
        Clock::time_point start;
        std::uint64_t count = 0;
    };

    void prune(Clock::time_point now);

    const std::uint64_t m_limit;
    const Clock::duration m_window;
    std::mutex m_mutex;
    std::unordered_map<std::string, Window> m_clients;
    Clock::time_point m_last_prune;
};

}  // namespace chat

// The open model's timetable: when each request of a stage is due. The rate ramps linearly
// from `from` to `to` per second over the stage, so the number of requests due by time t is
// the integral N(t) = from*t + (to-from)*t^2/(2D); request k (0-based) is due when N(t) = k.
// Computing due times from the formula (not by accumulating intervals) keeps them exact
// over long stages, and lets N workers each take every Nth request without talking.
#pragma once

#include <chrono>
#include <cstdint>

#include "config/pipeline.hpp"

namespace orch::builtin {

// --- Interface ---

class ArrivalSchedule {
  public:
    ArrivalSchedule(RateSpec rate, Duration duration) noexcept;

    /// Offset from the stage start at which request `k` (0-based) is due; request 0 is due
    /// at 0. Monotonic in `k`.
    std::chrono::nanoseconds due(std::uint64_t k) const noexcept;

    /// How many requests are due in [0, duration): N(duration) rounded up.
    std::uint64_t total() const noexcept { return m_total; }

  private:
    double m_from = 0;
    double m_half_slope = 0;  ///< (to - from) / (2 D), per s^2
    std::uint64_t m_total = 0;
};

}  // namespace orch::builtin

#include "plugins/executors/builtin/arrival_schedule.hpp"

#include <algorithm>
#include <cmath>

namespace orch::builtin {

ArrivalSchedule::ArrivalSchedule(RateSpec rate, Duration duration) noexcept {
    double seconds = to_seconds(duration);
    m_from = std::max(0.0, rate.from_per_s);
    double to = std::max(0.0, rate.to_per_s);
    m_half_slope = seconds > 0 ? (to - m_from) / (2 * seconds) : 0;
    double due_in_stage = seconds > 0 ? (m_from + to) / 2 * seconds : 0;
    // The epsilon absorbs rounding, so 200/s over 2 s is 400 requests, not 401.
    m_total = due_in_stage > 0 ? static_cast<std::uint64_t>(std::ceil(due_in_stage - 1e-9)) : 0;
}

std::chrono::nanoseconds ArrivalSchedule::due(std::uint64_t k) const noexcept {
    if (k == 0) {
        return std::chrono::nanoseconds(0);
    }
    // Root of a t^2 + b t - k = 0 in the form 2k / (b + sqrt(b^2 + 4ak)): stable for a -> 0
    // (constant rate: k / b) and for b = 0 (a ramp from zero).
    double count = static_cast<double>(k);
    double denominator = m_from + std::sqrt(m_from * m_from + 4 * m_half_slope * count);
    if (!(denominator > 0)) {
        return std::chrono::nanoseconds::max();
    }
    double seconds = 2 * count / denominator;
    return std::chrono::nanoseconds(static_cast<std::int64_t>(std::llround(seconds * 1e9)));
}

}  // namespace orch::builtin

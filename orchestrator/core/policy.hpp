// Run policy: the rules of SPEC that more than one executor applies, written once so every
// executor judges and shapes load the same way.
#pragma once

#include <cstdint>

namespace orch::policy {

// --- Interface ---

/// SPEC "Executors": an open-model stage whose generator dropped more than 1% of the
/// requests it scheduled could not keep up, so it is INCONCLUSIVE (unless a criterion
/// failed). The share is compared exactly, in integers.
inline constexpr int k_max_dropped_percent = 1;

/// True when `dropped` of `scheduled` is over k_max_dropped_percent (never when nothing was
/// scheduled).
constexpr bool too_many_dropped(std::uint64_t dropped, std::uint64_t scheduled) {
    return scheduled > 0 && dropped * 100 > scheduled * k_max_dropped_percent;
}

/// The closed model's linear ramps: of `vus` VUs, VU `n` (0-based) starts `ramp_up * n /
/// vus` into the stage. Works for any std::chrono duration (and plain integers).
template <class Duration, class Int>
constexpr Duration ramp_up_start(Duration ramp_up, Int n, Int vus) {
    return ramp_up * n / (vus > 0 ? vus : Int{1});
}

/// Over ramp_down the VUs stop in reverse order: VU `n` stops `ramp_down * n / vus` before
/// the stage's end (VU 0 runs to the end).
template <class Duration, class Int>
constexpr Duration ramp_down_lead(Duration ramp_down, Int n, Int vus) {
    return ramp_down * n / (vus > 0 ? vus : Int{1});
}

/// A segment (`run --segment`) that starts a stage more than this many seconds after its
/// planned time says so when it runs, and the merged result of that stage is INCONCLUSIVE:
/// its load did not overlap the other segments' as planned.
inline constexpr double k_late_start_tolerance_s = 1.0;

}  // namespace orch::policy

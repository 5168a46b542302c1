// RunClock: the time the runner and the backend watch read and wait on. A run uses the
// steady clock; the runner's unit tests (tests/unit/pipeline/runner_test.cpp) pass a fake
// one through RunOptions::clock, so a cooldown or "1.5s into the stage" takes no real time.
#pragma once

#include <stop_token>

namespace orch {

// --- Interface ---

class RunClock {
  public:
    virtual ~RunClock() = default;
    /// Seconds on a monotonic clock (any origin).
    virtual double now_s() const = 0;
    /// Waits up to `seconds`; returns early (within about 50 ms) when `stop` fires.
    virtual void wait(double seconds, std::stop_token stop) = 0;
};

/// std::chrono::steady_clock.
RunClock& steady_run_clock();

}  // namespace orch

#include "pipeline/run_clock.hpp"

#include <algorithm>
#include <chrono>
#include <thread>

namespace orch {

namespace {

class SteadyRunClock final : public RunClock {
  public:
    double now_s() const override {
        return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
            .count();
    }
    void wait(double seconds, std::stop_token stop) override {
        double end = now_s() + seconds;
        for (double left = seconds; left > 0 && !stop.stop_requested(); left = end - now_s()) {
            std::this_thread::sleep_for(std::chrono::duration<double>(std::min(left, 0.05)));
        }
    }
};

}  // namespace

RunClock& steady_run_clock() {
    static SteadyRunClock clock;
    return clock;
}

}  // namespace orch

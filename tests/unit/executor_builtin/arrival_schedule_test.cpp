#include <catch2/catch.hpp>

#include "plugins/executors/builtin/arrival_schedule.hpp"

using orch::RateSpec;
using orch::builtin::ArrivalSchedule;
using namespace std::chrono_literals;

TEST_CASE("arrival schedule: a fixed rate spaces requests evenly from time zero") {
    ArrivalSchedule schedule(RateSpec{200, 200}, 2s);
    CHECK(schedule.total() == 400);
    CHECK(schedule.due(0) == 0ns);
    CHECK(schedule.due(1) == 5ms);
    CHECK(schedule.due(200) == 1s);
    CHECK(schedule.due(399) < 2s);
}

TEST_CASE("arrival schedule: a linear ramp follows the integral of the rate") {
    // 0 -> 100/s over 10 s: N(t) = 5 t^2, 500 requests in all, 125 by t = 5 s.
    ArrivalSchedule schedule(RateSpec{0, 100}, 10s);
    CHECK(schedule.total() == 500);
    auto at_5s = std::chrono::duration<double>(schedule.due(125)).count();
    CHECK(at_5s == Approx(5.0).epsilon(1e-6));
    CHECK(schedule.due(499) < 10s);
    for (std::uint64_t k = 1; k < schedule.total(); ++k) {
        REQUIRE(schedule.due(k) > schedule.due(k - 1));
    }
    // A ramp down is the mirror image: dense first, sparse at the end.
    ArrivalSchedule down(RateSpec{100, 0}, 10s);
    CHECK(down.total() == 500);
    CHECK(down.due(1) < down.due(499) - down.due(498));
    CHECK(down.due(499) < 10s);
}

TEST_CASE("arrival schedule: fractional totals round up, zero rate schedules nothing") {
    CHECK(ArrivalSchedule(RateSpec{1.5, 1.5}, 1s).total() == 2);
    CHECK(ArrivalSchedule(RateSpec{0, 0}, 10s).total() == 0);
}

#include "core/did_you_mean.hpp"

#include <catch2/catch.hpp>

using namespace orch;

TEST_CASE("closest_match suggests only likely typos") {
    std::vector<std::string> keys{"duration", "ramp_up", "criteria"};
    CHECK(closest_match("duraton", keys) == "duration");
    CHECK(closest_match("ramp-up", keys) == "ramp_up");
    CHECK(closest_match("zzz", keys).empty());
}

TEST_CASE("a swap of two adjacent letters is one edit") {
    CHECK(edit_distance("rnu", "run") == 1);
    CHECK(edit_distance("sned", "send") == 1);
    CHECK(edit_distance("abc", "abc") == 0);
    CHECK(edit_distance("", "abc") == 3);
    std::vector<std::string> verbs{"run", "validate", "report"};
    CHECK(closest_match("rnu", verbs) == "run");
}

TEST_CASE("of equally near candidates, the one with the nearest characters wins") {
    std::vector<std::string> percentiles{"p50", "p90", "p95", "p99"};
    CHECK(closest_match("p96", percentiles) == "p95");
    CHECK(closest_match("p91", percentiles) == "p90");
}

TEST_CASE("did_you_mean ends a message with the suggestion, or the alternative given") {
    std::vector<std::string> keys{"script", "binary"};
    CHECK(did_you_mean("scirpt", keys) == " (did you mean \"script\"?)");
    CHECK(did_you_mean("zzz", keys).empty());
    CHECK(did_you_mean("zzz", keys, "valid keys: " + join_names(keys)) ==
          " (valid keys: script, binary)");
}

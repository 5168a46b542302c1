#include "core/units.hpp"

#include <catch2/catch.hpp>

using namespace orch;
using namespace std::chrono_literals;

TEST_CASE("durations parse with units, largest first") {
    CHECK(parse_duration("250ms").value() == 250ms);
    CHECK(parse_duration("30s").value() == 30s);
    CHECK(parse_duration("2m").value() == 2min);
    CHECK(parse_duration("1h30m").value() == 90min);
    CHECK(parse_duration("1.5s").value() == 1500ms);
    CHECK(parse_duration("500us").value() == 500us);
}

TEST_CASE("a bare number or a spelled-out unit is rejected with a hint") {
    auto bare = parse_duration("30");
    REQUIRE_FALSE(bare);
    CHECK(bare.error().message == "\"30\" is not a duration (try 30s)");
    auto words = parse_duration("2 min");
    REQUIRE_FALSE(words);
    CHECK(words.error().message == "\"2 min\" is not a duration (try 2m)");
    CHECK_FALSE(parse_duration("30sec"));
    CHECK_FALSE(parse_duration("s"));
    CHECK_FALSE(parse_duration(""));
    CHECK_FALSE(parse_duration("30m1h"));
    CHECK_FALSE(parse_duration("1.2.3s"));
    CHECK_FALSE(parse_duration("99999999h"));
}

TEST_CASE("durations format to their shortest exact form") {
    CHECK(format_duration(1500ms) == "1.5s");
    CHECK(format_duration(90s) == "1m30s");
    CHECK(format_duration(250ms) == "250ms");
    CHECK(format_duration(2h) == "2h");
    CHECK(format_duration(0s) == "0s");
}

TEST_CASE("malformed numbers in durations are errors, never exceptions") {
    CHECK_FALSE(parse_duration(".s"));
    CHECK_FALSE(parse_duration(std::string(400, '9') + "s"));
    CHECK_FALSE(parse_duration("."));
}

TEST_CASE("sizes parse with a unit; KB, MB, GB are powers of 1024 like KiB, MiB, GiB") {
    CHECK(parse_size("64MiB").value() == 64ULL * 1024 * 1024);
    CHECK(parse_size("10MB").value() == 10ULL * 1024 * 1024);
    CHECK(parse_size("4KiB").value() == 4096);
    CHECK(parse_size("1.5GB").value() == 3ULL * 512 * 1024 * 1024);
    CHECK(parse_size("512B").value() == 512);
    CHECK(parse_size("2kb").value() == 2048);
    auto bare = parse_size("1000");
    REQUIRE_FALSE(bare);
    CHECK(bare.error().message ==
          "\"1000\" is not a size (a bare number has no unit: try 1000MiB)");
    auto unit = parse_size("10 MB");
    REQUIRE_FALSE(unit);
    CHECK_THAT(unit.error().message, Catch::Contains("is not one of B, KB, KiB"));
    CHECK_FALSE(parse_size("MB"));
    CHECK_FALSE(parse_size("1.2.3MB"));
    CHECK_FALSE(parse_size("-1MB"));
}

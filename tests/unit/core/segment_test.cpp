#include "core/segment.hpp"

#include <catch2/catch.hpp>

using namespace orch;

TEST_CASE("segment shares add up exactly: 5 VUs over 3 segments are 2, 2, 1", "[segment]") {
    Segment s0{0, 3}, s1{1, 3}, s2{2, 3};
    CHECK(s0.share(5) == 2);
    CHECK(s1.share(5) == 2);
    CHECK(s2.share(5) == 1);
    // The same rule at every step of a ramp (the first k VUs) and for any N.
    for (std::uint32_t n = 1; n <= 7; ++n) {
        for (std::uint64_t total = 0; total <= 50; ++total) {
            std::uint64_t sum = 0;
            std::uint64_t before = 0;
            for (std::uint32_t i = 0; i < n; ++i) {
                Segment s{i, n};
                std::uint64_t owned = 0;
                for (std::uint64_t k = 0; k < total; ++k) {
                    owned += s.owns(k) ? 1 : 0;
                }
                REQUIRE(owned == s.share(total));
                REQUIRE(s.shares_before(total) == before);
                before += s.share(total);
                sum += s.share(total);
            }
            REQUIRE(sum == total);
        }
    }
}

TEST_CASE("segment I/N is parsed and checked", "[segment]") {
    auto ok = parse_segment("1/3");
    REQUIRE(ok);
    CHECK(ok->index == 1);
    CHECK(ok->count == 3);
    CHECK(parse_segment("0/1"));
    auto says = [](std::string_view text, std::string_view what) {
        auto parsed = parse_segment(text);
        REQUIRE_FALSE(parsed);
        INFO(parsed.error().message);
        CHECK(parsed.error().message.find(what) != std::string::npos);
    };
    says("3/3", "I must be below N");
    says("0/0", "N must be from 1");
    says("a/3", "expected I/N");
    says("1", "expected I/N");
    says("-1/3", "expected I/N");
    says("1/3x", "expected I/N");
}

TEST_CASE("start-at takes RFC 3339 and refuses anything else", "[segment]") {
    auto utc = parse_rfc3339("2026-12-03T10:15:00Z");
    REQUIRE(utc);
    CHECK(*utc == 1796292900LL * 1000000000LL);
    auto offset = parse_rfc3339("2026-12-03T11:15:00.5+01:00");
    REQUIRE(offset);
    CHECK(*offset == *utc + 500000000);
    for (const char* bad : {"2026-12-03 10:15", "2026-12-03T10:15:00", "2026-02-30T10:15:00Z",
                            "2026-12-03T25:00:00Z", "tomorrow", "2026-12-03T10:15:00Zjunk"}) {
        INFO(bad);
        auto parsed = parse_rfc3339(bad);
        REQUIRE_FALSE(parsed);
        CHECK(parsed.error().message.find("RFC 3339") != std::string::npos);
    }
}

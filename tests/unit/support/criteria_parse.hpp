// What every criteria test needs: a criterion that must parse, and the message of one that
// must not (both say which text they were given when they fail).
#pragma once

#include <string>
#include <string_view>

#include <catch2/catch.hpp>

#include "criteria/criterion.hpp"

namespace orch::test {

/// The criterion `text` parsed against `catalog`; fails the test when it does not parse.
inline Criterion parse_ok(std::string_view text, const MetricCatalog& catalog) {
    auto parsed = parse_criterion(text, catalog);
    INFO("criterion: " << text);
    if (!parsed) {
        INFO("error: " << parsed.error().message);
        FAIL("expected the criterion to parse");
    }
    return *parsed;
}

/// The error message of `text`, which must not parse (and fail as invalid input).
inline std::string parse_error(std::string_view text, const MetricCatalog& catalog) {
    auto parsed = parse_criterion(text, catalog);
    INFO("criterion: " << text);
    REQUIRE_FALSE(parsed);
    CHECK(parsed.error().code == ErrorCode::invalid_input);
    return parsed.error().message;
}

}  // namespace orch::test

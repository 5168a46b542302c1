#include "core/escape_chars.hpp"

#include <catch2/catch.hpp>

using namespace orch;

TEST_CASE("escape_chars replaces each listed character and keeps the others") {
    // JSON pointer tokens (RFC 6901): "~" first is the case a naive two-pass replace gets wrong.
    CHECK(escape_chars("a/b~c", {{'~', "~0"}, {'/', "~1"}}) == "a~1b~0c");
    CHECK(escape_chars("~1", {{'~', "~0"}, {'/', "~1"}}) == "~01");
    CHECK(escape_chars("--help \\", {{'\\', "\\e"}, {'-', "\\-"}}) == "\\-\\-help \\e");
    CHECK(escape_chars("plain", {{'x', "y"}}) == "plain");
    CHECK(escape_chars("", {{'x', "y"}}).empty());
    CHECK(escape_chars("a\nb", {{'\n', ""}}) == "ab");
}

// NO_COLOR, FORCE_COLOR and TERM=dumb as users set them for every tool.
#include <catch2/catch.hpp>

#include <map>

#include "cli/terminal.hpp"

using namespace orch::cli;

namespace {

std::function<std::optional<std::string>(const std::string&)> env(
    std::map<std::string, std::string> values) {
    return [values](const std::string& name) -> std::optional<std::string> {
        auto it = values.find(name);
        return it == values.end() ? std::nullopt : std::optional<std::string>(it->second);
    };
}

}  // namespace

TEST_CASE("colour on a terminal, none into a pipe") {
    CHECK(terminal_style(true, env({{"TERM", "xterm"}})).color);
    CHECK(terminal_style(true, env({{"TERM", "xterm"}})).redraw);
    CHECK_FALSE(terminal_style(false, env({{"TERM", "xterm"}})).color);
    CHECK_FALSE(terminal_style(false, env({{"TERM", "xterm"}})).redraw);
}

TEST_CASE("NO_COLOR counts only when not empty") {
    CHECK_FALSE(terminal_style(true, env({{"NO_COLOR", "1"}})).color);
    CHECK(terminal_style(true, env({{"NO_COLOR", "1"}})).redraw);
    CHECK(terminal_style(true, env({{"NO_COLOR", ""}})).color);
}

TEST_CASE("FORCE_COLOR forces colour into a pipe, and wins over NO_COLOR; 0 turns it off") {
    CHECK(terminal_style(false, env({{"FORCE_COLOR", "1"}})).color);
    CHECK_FALSE(terminal_style(false, env({{"FORCE_COLOR", "1"}})).redraw);
    CHECK(terminal_style(false, env({{"FORCE_COLOR", "1"}, {"NO_COLOR", "1"}})).color);
    CHECK_FALSE(terminal_style(true, env({{"FORCE_COLOR", "0"}})).color);
    CHECK(terminal_style(true, env({{"FORCE_COLOR", ""}})).color);
}

TEST_CASE("TERM=dumb: no colour and no redraw, even on a terminal") {
    CHECK_FALSE(terminal_style(true, env({{"TERM", "dumb"}})).color);
    CHECK_FALSE(terminal_style(true, env({{"TERM", "dumb"}})).redraw);
    CHECK_FALSE(terminal_style(true, env({{"TERM", "dumb"}, {"FORCE_COLOR", "1"}})).redraw);
}

#include "cli/terminal.hpp"

namespace orch::cli {

TerminalStyle terminal_style(
    bool stdout_is_tty,
    const std::function<std::optional<std::string>(const std::string&)>& getenv) {
    auto value = [&](const char* name) { return getenv(name).value_or(""); };
    bool dumb = value("TERM") == "dumb";
    TerminalStyle style;
    style.redraw = stdout_is_tty && !dumb;
    if (std::string force = value("FORCE_COLOR"); !force.empty()) {
        style.color = force != "0" && force != "false";
    } else {
        style.color = value("NO_COLOR").empty() && !dumb && stdout_is_tty;
    }
    return style;
}

}  // namespace orch::cli

// What the terminal may be sent: colour and in-place redraws. The conventions users set once
// for every tool: NO_COLOR (https://no-color.org: only when set and not empty), FORCE_COLOR
// (force colour even into a pipe or a CI log; "0" turns colour off) and TERM=dumb (a
// terminal that understands neither colours nor cursor movement).
#pragma once

#include <functional>
#include <optional>
#include <string>

namespace orch::cli {

// --- Interface ---

struct TerminalStyle {
    bool color = false;   ///< ANSI colours in verdicts
    bool redraw = false;  ///< progress redrawn in place (carriage return, erase line)
};

/// The style for standard output. In order: FORCE_COLOR set and not empty gives colour
/// (FORCE_COLOR=0 none), else a non-empty NO_COLOR gives none, else TERM=dumb gives none,
/// else colour when `stdout_is_tty`. Redraw needs a TTY whose TERM is not "dumb", whatever
/// the colour variables say.
TerminalStyle terminal_style(
    bool stdout_is_tty,
    const std::function<std::optional<std::string>(const std::string&)>& getenv);

}  // namespace orch::cli

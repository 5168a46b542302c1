// A small argument parser: `--name VALUE`, `--name=VALUE`, repeatable options, flags and
// positionals, with errors that name the problem and the verb's --help.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace orch::cli {

// --- Interface ---

struct ArgSpec {
    std::set<std::string> flags;                 ///< options without a value ("--no-progress")
    std::set<std::string> options;               ///< options with one value ("--out")
    std::set<std::string> repeatable;            ///< options that may repeat ("--set", "--only")
    std::map<std::string, std::string> aliases;  ///< "-o" -> "--output"
};

struct ParsedArgs {
    std::vector<std::string> positionals;
    std::set<std::string> flags;
    std::map<std::string, std::vector<std::string>> values;

    bool has(const std::string& name) const { return flags.count(name) > 0; }
    std::optional<std::string> value(const std::string& name) const;
    std::vector<std::string> all(const std::string& name) const;
};

/// Parses `args` for `verb`; an unknown option is invalid_input with a did-you-mean.
/// `--` ends the options: every argument after it is a positional.
Result<ParsedArgs> parse_args(const std::vector<std::string>& args, const ArgSpec& spec,
                              const std::string& verb);

}  // namespace orch::cli

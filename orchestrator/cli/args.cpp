#include "cli/args.hpp"

#include "core/did_you_mean.hpp"
#include "core/units.hpp"

namespace orch::cli {

std::optional<std::string> ParsedArgs::value(const std::string& name) const {
    auto it = values.find(name);
    if (it == values.end() || it->second.empty()) {
        return std::nullopt;
    }
    return it->second.back();
}

std::vector<std::string> ParsedArgs::all(const std::string& name) const {
    auto it = values.find(name);
    return it == values.end() ? std::vector<std::string>{} : it->second;
}

Result<ParsedArgs> parse_args(const std::vector<std::string>& args, const ArgSpec& spec,
                              const std::string& verb) {
    ParsedArgs parsed;
    bool options_ended = false;
    for (std::size_t i = 0; i < args.size(); ++i) {
        std::string arg = args[i];
        if (!options_ended && arg == "--") {
            options_ended = true;  // what follows is positional, even "-weird-name.yaml"
            continue;
        }
        if (options_ended || arg.size() < 2 || arg[0] != '-') {
            parsed.positionals.push_back(arg);
            continue;
        }
        std::optional<std::string> inline_value;
        if (auto eq = arg.find('='); eq != std::string::npos && arg.rfind("--", 0) == 0) {
            inline_value = arg.substr(eq + 1);
            arg = arg.substr(0, eq);
        }
        if (auto alias = spec.aliases.find(arg); alias != spec.aliases.end()) {
            arg = alias->second;
        }
        if (spec.flags.count(arg) > 0) {
            if (inline_value) {
                return fail(ErrorCode::invalid_input, arg + " takes no value");
            }
            parsed.flags.insert(arg);
            continue;
        }
        bool single = spec.options.count(arg) > 0;
        bool repeat = spec.repeatable.count(arg) > 0;
        if (single || repeat) {
            std::string value;
            if (inline_value) {
                value = *inline_value;
            } else if (i + 1 < args.size()) {
                value = args[++i];
            } else {
                return fail(ErrorCode::invalid_input,
                            arg + " needs a value (see stagegate " + verb + " --help)");
            }
            if (single && parsed.values.count(arg) > 0) {
                return fail(ErrorCode::invalid_input, arg + " given twice");
            }
            parsed.values[arg].push_back(value);
            continue;
        }
        std::vector<std::string> known(spec.flags.begin(), spec.flags.end());
        known.insert(known.end(), spec.options.begin(), spec.options.end());
        known.insert(known.end(), spec.repeatable.begin(), spec.repeatable.end());
        return fail(ErrorCode::invalid_input,
                    "unknown option " + arg + " for stagegate " + verb +
                        did_you_mean(arg, known, "see stagegate " + verb + " --help"));
    }
    return parsed;
}

}  // namespace orch::cli

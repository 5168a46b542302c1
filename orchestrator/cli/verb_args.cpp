#include "cli/verb_args.hpp"

#include <ostream>

#include "cli/console.hpp"
#include "core/exit_code.hpp"

namespace orch::cli {

int invalid(Context& ctx, const std::string& message) {
    ctx.err << "stagegate: " << shown_lines(message) << "\n";
    return k_exit_invalid;
}

tl::expected<ParsedArgs, int> verb_args(Context& ctx, const std::vector<std::string>& rest,
                                        const ArgSpec& spec, const std::string& verb,
                                        std::string_view help) {
    auto args = parse_args(rest, spec, verb);
    if (!args) {
        return tl::unexpected(invalid(ctx, args.error().message));
    }
    if (args->has("--help")) {
        ctx.out << help;
        return tl::unexpected(k_exit_pass);
    }
    return std::move(*args);
}

}  // namespace orch::cli

// libFuzzer target: any bytes as a pipeline file, through the loader `stagegate validate`
// uses (load_pipeline reads the file, then this same text entry point). The loader must
// answer every input with a Pipeline or diagnostics: never crash, hang, leak, or fall back
// on its catch-all "internal error" (an exception it did not expect: a bug, so it aborts
// here). Leading `# --set PATH=VALUE` lines (YAML comments) are also applied as `--set`
// overrides, so the fuzzer reaches overrides.cpp too.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "config/loader.hpp"
#include "core/redact.hpp"

namespace {

constexpr std::string_view k_set_prefix = "# --set ";

/// A fixed environment, so a run is reproducible: two plain variables and a secret one.
std::optional<std::string> fuzz_getenv(const std::string& name) {
    if (name == "HOST") {
        return "127.0.0.1";
    }
    if (name == "PORT") {
        return "8080";
    }
    if (name == "API_TOKEN") {
        return "fuzz-secret-token";
    }
    return std::nullopt;
}

/// The `# --set ` lines at the start of `text`, without the prefix.
std::vector<std::string> leading_overrides(std::string_view text) {
    std::vector<std::string> overrides;
    while (text.substr(0, k_set_prefix.size()) == k_set_prefix) {
        text.remove_prefix(k_set_prefix.size());
        std::size_t end = text.find('\n');
        overrides.emplace_back(text.substr(0, end));
        if (end == std::string_view::npos) {
            break;
        }
        text.remove_prefix(end + 1);
    }
    return overrides;
}

void abort_on_internal_error(const orch::LoadFailure& failure) {
    for (const auto& problem : failure.problems) {
        // The loader's catch-all message; a key or value may say "internal error" too.
        if (problem.message.rfind("internal error while reading the pipeline", 0) == 0) {
            std::fprintf(stderr, "loader internal error: %s\n", problem.format().c_str());
            std::abort();
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    orch::LoadOptions options;
    options.overrides = leading_overrides(text);
    options.getenv = fuzz_getenv;
    auto loaded = orch::load_pipeline_text_diagnostics(text, "fuzz.yaml", options);
    if (loaded) {
        // What `validate` prints about a valid pipeline.
        (void)loaded->operation_names();
        (void)loaded->body_pattern_names();
    } else {
        abort_on_internal_error(loaded.error());
        // What `validate` prints about an invalid one: every diagnostic, redacted.
        orch::Error error = orch::to_error(loaded.error(), "fuzz.yaml");
        (void)orch::redact(error.context);
    }
    // The loader registers secrets process-wide; a real process loads one pipeline.
    orch::clear_secrets_for_testing();
    return 0;
}

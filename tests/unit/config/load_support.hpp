// What the loader tests share: the formatted diagnostics of a pipeline that must fail to
// load, and a compiled template filled with values.
#pragma once

#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "config/loader.hpp"
#include "config/template.hpp"

namespace orch::test {

/// Every formatted diagnostic of `yaml` (read as file `path`), which must fail to load.
inline std::vector<std::string> load_problems(const std::string& yaml, const std::string& path,
                                              const LoadOptions& options) {
    auto loaded = load_pipeline_text_diagnostics(yaml, path, options);
    REQUIRE_FALSE(loaded);
    std::vector<std::string> out;
    for (const auto& problem : loaded.error().problems) {
        out.push_back(problem.format());
    }
    return out;
}

/// `templ` filled with `values` (one per slot name the template was compiled with).
inline std::string fill(const Template& templ, const std::vector<std::string>& values) {
    std::string out;
    append_filled(templ, values, out);
    return out;
}

}  // namespace orch::test

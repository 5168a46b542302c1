// The loader on hostile input: mutated pipelines, huge maps, floods of problems. It must
// answer with diagnostics (never throw, crash or hang) and stay linear in the input.
#include "config/loader.hpp"
#include "config/yaml_reader.hpp"

#include <catch2/catch.hpp>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

using namespace orch;

namespace {

std::string example_pipeline() {
    std::ifstream in(std::string(STAGEGATE_SOURCE_DIR) + "/pipelines/chat-quick.yaml");
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

LoadOptions no_environment() {
    LoadOptions options;
    options.getenv = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
    return options;
}

}  // namespace

TEST_CASE("randomly mutated pipelines give diagnostics or load, never throw") {
    const std::string original = example_pipeline();
    REQUIRE(original.size() > 1000);
    const std::string alphabet = "{}[]:,-&*!|>'\"#%@`\n\t ${}x0.9/\\?";
    std::mt19937 random(20261127);
    int failed = 0;
    for (int round = 0; round < 400; ++round) {
        std::string text = original;
        int edits = 1 + static_cast<int>(random() % 4);
        for (int e = 0; e < edits; ++e) {
            std::size_t at = random() % text.size();
            switch (random() % 3) {
                case 0:
                    text.erase(at, 1 + random() % 8);
                    break;
                case 1:
                    text.insert(at, 1, alphabet[random() % alphabet.size()]);
                    break;
                default:
                    text[at] = alphabet[random() % alphabet.size()];
            }
        }
        INFO(text);
        auto loaded = load_pipeline_text_diagnostics(text, "m.yaml", no_environment());
        if (!loaded) {
            ++failed;
            REQUIRE_FALSE(loaded.error().problems.empty());
            for (const auto& problem : loaded.error().problems) {
                CHECK(problem.pos.line >= 1);
                CHECK(problem.message.find("internal error") == std::string::npos);
            }
        }
    }
    CHECK(failed > 100);  // most mutations break something
}

TEST_CASE("a flood of problems is capped and a huge map loads") {
    std::string flood = "version: 1\n";
    for (int i = 0; i < 20000; ++i) {
        flood += "unknown_" + std::to_string(i) + ": 1\n";
    }
    auto loaded = load_pipeline_text_diagnostics(flood, "f.yaml", no_environment());
    REQUIRE_FALSE(loaded);
    const auto& problems = loaded.error().problems;
    REQUIRE(problems.size() == DiagnosticList::k_max_diagnostics + 1);
    CHECK(problems.back().message == "... and 19903 more problems (fix these first)");

    std::string big =
        "version: 1\ntarget: { base_url: http://x }\n"
        "scenario: { operations: [ { name: a, path: / } ] }\n"
        "stages: [ { name: s, vus: 1, duration: 1s } ]\n"
        "backend:\n  command: [srv]\n  env:\n";
    for (int i = 0; i < 50000; ++i) {
        big += "    VAR_" + std::to_string(i) + ": v\n";
    }
    auto pipeline = load_pipeline_text_diagnostics(big, "b.yaml", no_environment());
    REQUIRE(pipeline);
    CHECK(pipeline->backend->env.size() == 50000);
}

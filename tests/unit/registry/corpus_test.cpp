// The malformed-pipeline corpus: every file in tests/fixtures/pipelines/invalid must fail
// to load with positioned diagnostics and the message its `# expect:` line (or a sidecar
// `.expect` file) names; every file in valid/ must load. Loaded as the CLI loads them, with
// the shipped executors' sections (so the k6 and command fixtures are read by their plugins).
#include "config/loader.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "cli/builtin_plugins.hpp"

using namespace orch;

namespace {

std::filesystem::path fixtures() {
    return std::filesystem::path(STAGEGATE_FIXTURES_DIR) / "pipelines";
}

std::string read_all(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::string expected_substring(const std::filesystem::path& file) {
    auto sidecar = file;
    sidecar += ".expect";
    std::string text = std::filesystem::exists(sidecar) ? read_all(sidecar) : read_all(file);
    const std::string marker = "# expect: ";
    if (text.rfind(marker, 0) != 0) {
        return {};
    }
    std::size_t end = text.find('\n');
    return text.substr(marker.size(), end == std::string::npos ? end : end - marker.size());
}

LoadOptions test_options() {
    LoadOptions options;
    options.executors = &cli::executors().sections();
    options.getenv = [](const std::string& name) -> std::optional<std::string> {
        if (name == "STAGEGATE_TEST_PORT") {
            return "9000";
        }
        return std::nullopt;
    };
    return options;
}

std::vector<std::filesystem::path> yaml_files(const std::filesystem::path& dir) {
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        if (entry.path().extension() == ".yaml") {
            files.push_back(entry.path());
        }
    }
    std::sort(files.begin(), files.end());
    return files;
}

}  // namespace

TEST_CASE("every malformed pipeline fails with positioned diagnostics, never a crash") {
    auto files = yaml_files(fixtures() / "invalid");
    CHECK(files.size() >= 35);
    for (const auto& file : files) {
        INFO(file.filename().string());
        std::string expected = expected_substring(file);
        REQUIRE_FALSE(expected.empty());
        auto loaded = load_pipeline_diagnostics(file, test_options());
        REQUIRE_FALSE(loaded);
        const auto& problems = loaded.error().problems;
        REQUIRE_FALSE(problems.empty());
        bool found = false;
        std::string all;
        for (const auto& problem : problems) {
            std::string line = problem.format();
            all += line + "\n";
            CHECK(problem.file == file.string());
            CHECK(problem.pos.line >= 1);
            CHECK(problem.pos.column >= 1);
            CHECK(line.rfind(file.string() + ":" + std::to_string(problem.pos.line) + ":" +
                                 std::to_string(problem.pos.column) + ": ",
                             0) == 0);
            found = found || line.find(expected) != std::string::npos;
        }
        INFO(all);
        CHECK(found);
        // The Result form carries the same lines.
        auto as_error = load_pipeline(file, test_options());
        REQUIRE_FALSE(as_error);
        CHECK(as_error.error().code == ErrorCode::invalid_input);
        CHECK(as_error.error().context + "\n" == all);
    }
}

TEST_CASE("every valid fixture pipeline loads") {
    auto files = yaml_files(fixtures() / "valid");
    CHECK(files.size() >= 3);
    for (const auto& file : files) {
        INFO(file.filename().string());
        auto loaded = load_pipeline_diagnostics(file, test_options());
        if (!loaded) {
            for (const auto& problem : loaded.error().problems) {
                UNSCOPED_INFO(problem.format());
            }
        }
        CHECK(loaded);
    }
}

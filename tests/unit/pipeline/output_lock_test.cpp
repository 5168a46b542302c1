// OutputLock and clear_previous_outputs on real folders.
#include "pipeline/output_lock.hpp"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>

using namespace orch;

namespace {

struct TempFolder {
    TempFolder() {
        char pattern[] = "/tmp/stagegate-lock-XXXXXX";
        path = ::mkdtemp(pattern);
    }
    ~TempFolder() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
    std::filesystem::path path;
};

}  // namespace

TEST_CASE("a second lock on the same folder fails at once, naming the holder's pid",
          "[output_lock]") {
    TempFolder dir;
    {
        auto first = OutputLock::acquire(dir.path);
        REQUIRE(first);
        auto second = OutputLock::acquire(dir.path);
        REQUIRE_FALSE(second);
        CHECK(second.error().code == ErrorCode::infrastructure);
        CHECK_THAT(second.error().message,
                   Catch::Contains("is in use by another stagegate run (pid " +
                                   std::to_string(::getpid()) + ","));
        CHECK_THAT(second.error().message, Catch::Contains("--out"));
    }
    // Released with the first: the folder can be locked again.
    CHECK(OutputLock::acquire(dir.path));
}

TEST_CASE("clearing removes what runs write, and nothing else", "[output_lock]") {
    TempFolder dir;
    for (const char* name :
         {"report.md", "report.html", "results.json", "junit.xml", "backend.log", "stagegate.log",
          "hooks.log", "k6-smoke-summary.json", "k6-smoke.ndjson", "command-load-result.json",
          "results.json.tmp.123", ".backend.log.tail-0", "notes.txt", "results.json.tmp.abc",
          "k6-config.yaml"}) {
        std::ofstream(dir.path / name) << "x";
    }
    std::filesystem::create_directory(dir.path / "report.md.d");
    REQUIRE(clear_previous_outputs(dir.path));
    std::vector<std::string> left;
    for (const auto& entry : std::filesystem::directory_iterator(dir.path)) {
        left.push_back(entry.path().filename().string());
    }
    std::sort(left.begin(), left.end());
    CHECK(left == std::vector<std::string>{"k6-config.yaml", "notes.txt", "report.md.d",
                                           "results.json.tmp.abc"});
}

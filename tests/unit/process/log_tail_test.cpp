// tail_lines on real files: last lines only, large files, odd endings, redaction.
#include <catch2/catch.hpp>
#include <fstream>

#include "core/redact.hpp"
#include "process/backend_process.hpp"
#include "process_test_support.hpp"

using namespace orch;
using orch::test::TempDir;

TEST_CASE("tail_lines returns the last n lines", "[log_tail]") {
    TempDir dir;
    auto file = dir.path() / "log";
    SECTION("large file: only the end matters") {
        {
            std::ofstream out(file);
            for (int i = 0; i < 200000; ++i) {
                out << "line " << i << '\n';
            }
        }
        CHECK(tail_lines(file, 3) ==
              std::vector<std::string>{"line 199997", "line 199998", "line 199999"});
        CHECK(tail_lines(file, 1) == std::vector<std::string>{"line 199999"});
        CHECK(tail_lines(file, 5000).size() == 5000);
        CHECK(tail_lines(file, 5000).front() == "line 195000");
    }
    SECTION("no newline at the end, CRLF, fewer lines than asked") {
        std::ofstream(file) << "a\r\nb\nc";
        CHECK(tail_lines(file, 10) == std::vector<std::string>{"a", "b", "c"});
        CHECK(tail_lines(file, 2) == std::vector<std::string>{"b", "c"});
    }
    SECTION("empty lines are kept") {
        std::ofstream(file) << "a\n\nb\n";
        CHECK(tail_lines(file, 3) == std::vector<std::string>{"a", "", "b"});
    }
    SECTION("empty and missing files, n = 0") {
        std::ofstream(file).flush();
        CHECK(tail_lines(file, 5).empty());
        CHECK(tail_lines(dir.path() / "missing", 5).empty());
        std::ofstream(file) << "x\n";
        CHECK(tail_lines(file, 0).empty());
    }
    SECTION("a very long line is cut") {
        std::ofstream(file) << std::string(10000, 'x') << "\nshort\n";
        auto lines = tail_lines(file, 2);
        REQUIRE(lines.size() == 2);
        CHECK(lines[0].size() < 5000);
        CHECK_THAT(lines[0], Catch::EndsWith("[...]"));
        CHECK(lines[1] == "short");
    }
}

TEST_CASE("tail_lines redacts secrets", "[log_tail]") {
    TempDir dir;
    auto file = dir.path() / "log";
    std::ofstream(file) << "connecting with token s3cr3t-token-value\n";
    register_secret("s3cr3t-token-value");
    CHECK(tail_lines(file, 1) == std::vector<std::string>{"connecting with token ***"});
    clear_secrets_for_testing();
}

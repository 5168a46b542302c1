#include "plugin/line_follower.hpp"

#include <catch2/catch.hpp>

#include "support/files.hpp"

using namespace orch;

namespace {

struct Collect {
    std::vector<std::string> lines;
    std::function<void(std::string_view)> sink() {
        return [this](std::string_view line) { lines.emplace_back(line); };
    }
};

void append(const std::filesystem::path& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary | std::ios::app);
    out << text;
}

}  // namespace

TEST_CASE("a file that does not exist yet gives nothing, then its lines once they come") {
    test::TempDir dir;
    const auto path = dir.path() / "out.ndjson";
    LineFollower follower(path);
    Collect got;
    CHECK(follower.poll(got.sink()) == 0);
    append(path, "one\ntw");
    CHECK(follower.poll(got.sink()) == 1);
    CHECK(got.lines == std::vector<std::string>{"one"});
    CHECK(follower.poll(got.sink()) == 0);  // "tw" is not a line yet
    append(path, "o\nthree\n");
    CHECK(follower.poll(got.sink()) == 2);
    CHECK(got.lines == std::vector<std::string>{"one", "two", "three"});
    CHECK(follower.bytes_read() == 14);
}

TEST_CASE("finish hands out an unterminated last line") {
    test::TempDir dir;
    const auto path = dir.path() / "out.ndjson";
    append(path, "a\nb");
    LineFollower follower(path);
    Collect got;
    CHECK(follower.finish(got.sink()) == 2);
    CHECK(got.lines == std::vector<std::string>{"a", "b"});
}

TEST_CASE("lines longer than the limit are skipped whole, even across reads") {
    test::TempDir dir;
    const auto path = dir.path() / "out.ndjson";
    LineFollower follower(path, 10);
    Collect got;
    append(path, "short\n" + std::string(8, 'x'));
    follower.poll(got.sink());
    append(path, std::string(300000, 'y') + "\nafter\n");
    follower.poll(got.sink());
    CHECK(got.lines == std::vector<std::string>{"short", "after"});
    CHECK(follower.overlong_lines() == 1);
}

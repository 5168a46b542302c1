// LogSink with real pipes and files: unbounded copy, the head + skipped line + newest tail
// past the bound, a fresh file per sink, and a write error that is recorded, not fatal.
#include "process/log_sink.hpp"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "process_test_support.hpp"

using namespace orch;
using namespace std::chrono_literals;
using orch::test::TempDir;

namespace {

std::string read_all(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

void write_to(int fd, const std::string& text) {
    std::size_t done = 0;
    while (done < text.size()) {
        ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        REQUIRE(n > 0);
        done += static_cast<std::size_t>(n);
    }
}

/// Writes `lines` numbered lines through a sink bounded at `max` and returns the file.
std::string through_sink(const std::filesystem::path& path, std::uint64_t max, int lines) {
    auto sink = LogSink::open(path, max);
    REQUIRE(sink);
    int fd = ::dup((*sink)->write_fd());
    (*sink)->start();
    std::string all;
    for (int i = 1; i <= lines; ++i) {
        all += "line " + std::to_string(i) + "\n";
    }
    write_to(fd, all);
    ::close(fd);  // the writer ends: finish() sees the end of the pipe
    (*sink)->finish(5s);
    CHECK_FALSE((*sink)->error());
    CHECK((*sink)->bytes_received() == all.size());
    return read_all(path);
}

}  // namespace

TEST_CASE("a sink without a bound copies everything, into a fresh file", "[log_sink]") {
    TempDir dir;
    auto path = dir.path() / "backend.log";
    std::ofstream(path) << "an earlier run\n";
    std::string text = through_sink(path, 0, 1000);
    CHECK(text.rfind("line 1\n", 0) == 0);
    CHECK(text.find("an earlier run") == std::string::npos);
    CHECK(text.size() > 1000 * 7);
    CHECK(text.substr(text.size() - 10) == "line 1000\n");
}

TEST_CASE("past the bound: the head, one skipped-bytes line, the newest whole lines",
          "[log_sink]") {
    TempDir dir;
    auto path = dir.path() / "backend.log";
    const std::uint64_t max = 64 * 1024;
    std::string text = through_sink(path, max, 200000);  // about 2.3 MB
    CHECK(text.size() <= max + 512);
    CHECK(text.rfind("line 1\nline 2\n", 0) == 0);
    auto marker = text.find("[stagegate: ");
    REQUIRE(marker != std::string::npos);
    CHECK(text.find("[stagegate: ", marker + 1) == std::string::npos);
    CHECK(text[marker - 1] == '\n');  // on a line of its own
    auto after = text.find('\n', marker) + 1;
    CHECK(text.compare(after, 5, "line ") == 0);  // the tail starts at a whole line
    CHECK(text.substr(text.size() - 12) == "line 200000\n");
    // Head + skipped + tail add up to what was written.
    std::uint64_t skipped = std::stoull(text.substr(marker + 12));
    std::uint64_t written = 0;
    for (int i = 1; i <= 200000; ++i) {
        written += 6 + std::to_string(i).size();
    }
    // (less the marker line; one newline more when the head ended inside a line)
    std::uint64_t kept = text.size() - (after - marker);
    CHECK((kept + skipped == written || kept + skipped == written + 1));
    CHECK_FALSE(std::filesystem::exists(dir.path() / ".backend.log.tail-0"));
    CHECK_FALSE(std::filesystem::exists(dir.path() / ".backend.log.tail-1"));
}

TEST_CASE("output that fits the bound is left as it is", "[log_sink]") {
    TempDir dir;
    auto path = dir.path() / "backend.log";
    std::string text = through_sink(path, 64 * 1024, 100);
    CHECK(text.find("[stagegate:") == std::string::npos);
    CHECK(text.substr(text.size() - 9) == "line 100\n");
}

TEST_CASE("a failed write is recorded with the file and the error; draining goes on",
          "[log_sink]") {
    if (!std::filesystem::exists("/dev/full")) {
        WARN("no /dev/full: not checked");
        return;
    }
    auto sink = LogSink::open("/dev/full", 0);
    REQUIRE(sink);
    int fd = ::dup((*sink)->write_fd());
    (*sink)->start();
    write_to(fd, std::string(256 * 1024, 'x'));  // more than a pipe holds: it is drained
    ::close(fd);
    (*sink)->finish(5s);
    REQUIRE((*sink)->error());
    CHECK(*(*sink)->error() == "cannot write /dev/full: No space left on device");
}

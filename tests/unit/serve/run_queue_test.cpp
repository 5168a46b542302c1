#include "serve/run_queue.hpp"

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include <catch2/catch.hpp>

using namespace orch::serve;
namespace fs = std::filesystem;

namespace {

fs::path temp_dir(const char* name) {
    fs::path dir =
        fs::temp_directory_path() / ("stagegate-unit-serve-" + std::to_string(::getpid())) / name;
    fs::remove_all(dir);
    fs::create_directories(dir);
    return dir;
}

std::optional<RunRecord> wait_finished(const RunQueue& queue, const std::string& id) {
    for (int i = 0; i < 200; ++i) {
        auto run = queue.get(id);
        if (run && run->state == "finished") {
            return run;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return queue.get(id);
}

}  // namespace

TEST_CASE("a run whose program cannot start ends ERROR (exit 3), and the next one starts",
          "[serve]") {
    fs::path out = temp_dir("spawn-failure");
    RunQueue queue(QueueConfig{"/nonexistent/stagegate", out, 4});
    auto first = queue.submit("canary", out / "canary.yaml", {}, "", "api");
    REQUIRE(first.outcome == RunQueue::Outcome::accepted);
    auto run = wait_finished(queue, first.id);
    REQUIRE(run);
    CHECK(run->state == "finished");
    CHECK(run->exit_code == 3);
    CHECK_FALSE(run->started_at.empty());
    // The pipeline is free again.
    auto second = queue.submit("canary", out / "canary.yaml", {}, "abc", "flagger");
    CHECK(second.outcome == RunQueue::Outcome::accepted);
    CHECK(queue.for_checksum("canary", "abc")->id == second.id);
    CHECK(queue.latest("canary")->id == second.id);
    CHECK_FALSE(queue.for_checksum("canary", "other"));
    queue.stop();
    CHECK(queue.submit("canary", out / "canary.yaml", {}, "", "api").outcome ==
          RunQueue::Outcome::stopping);
    fs::remove_all(out);
}

TEST_CASE("stopping an idle queue returns, and twice is harmless", "[serve]") {
    fs::path out = temp_dir("idle-stop");
    RunQueue queue(QueueConfig{"/nonexistent/stagegate", out, 0});
    queue.stop();
    queue.stop();
    CHECK_FALSE(queue.latest("canary"));
    fs::remove_all(out);
}

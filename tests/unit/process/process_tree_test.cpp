// The /proc process table reader against this process and a synthetic table.
#include "process/process_tree.hpp"

#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>

using namespace orch;

TEST_CASE("read_process reads this process", "[process_tree]") {
    auto self = read_process(::getpid());
    REQUIRE(self);
    CHECK(self->ppid == ::getppid());
    CHECK(self->pgid == ::getpgrp());
    CHECK(self->start_time > 0);
    CHECK_FALSE(self->is_dead());
    CHECK(still_running(*self));
    ProcessEntry reused = *self;
    reused.start_time += 1;  // same pid, another process
    CHECK_FALSE(still_running(reused));
    CHECK_FALSE(read_process(0));
    CHECK_FALSE(read_process(-1));
}

TEST_CASE("scan_processes sees this process; resident_bytes measures it", "[process_tree]") {
    auto table = scan_processes();
    CHECK(std::any_of(table.begin(), table.end(),
                      [](const ProcessEntry& entry) { return entry.pid == ::getpid(); }));
    auto rss = resident_bytes(::getpid());
    REQUIRE(rss);
    CHECK(*rss > 0);
}

TEST_CASE("descendants_of walks the whole subtree", "[process_tree]") {
    auto entry = [](pid_t pid, pid_t ppid) {
        ProcessEntry e;
        e.pid = pid;
        e.ppid = ppid;
        return e;
    };
    std::vector<ProcessEntry> table{entry(1, 0),   entry(10, 1), entry(11, 10), entry(12, 11),
                                    entry(13, 10), entry(20, 1), entry(21, 20)};
    auto found = descendants_of(table, 10);
    std::vector<pid_t> pids;
    for (const auto& e : found) {
        pids.push_back(e.pid);
    }
    std::sort(pids.begin(), pids.end());
    CHECK(pids == std::vector<pid_t>{11, 12, 13});
    CHECK(descendants_of(table, 12).empty());
}

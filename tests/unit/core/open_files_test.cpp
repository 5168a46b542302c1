#include "core/open_files.hpp"

#include <catch2/catch.hpp>

using namespace orch;

TEST_CASE("open files: a stage that fits has no problem") {
    OpenFiles limits{1024, 1024, 20};
    CHECK(open_files_problem(limits, 500, 2, 4, "stage \"a\"", "vus").empty());
    CHECK(connections_that_fit(limits, 2, 4) == 1024 - 20 - 8 - k_open_files_reserve);
}

TEST_CASE("open files: a stage that does not fit names the limit and the ulimit -n to set") {
    OpenFiles limits{1024, 1024, 20};
    std::string problem = open_files_problem(limits, 10'000, 2, 4, "stage \"peak\"", "vus");
    CHECK_THAT(problem, Catch::Contains("stage \"peak\" needs about 10060 open files (10000 "
                                        "connections + 20 in use + 40 for the workers"));
    CHECK_THAT(problem, Catch::Contains("open-files limit is 1024 (hard limit 1024)"));
    CHECK_THAT(problem, Catch::Contains("run `ulimit -n 11264` before stagegate"));
    CHECK_THAT(problem, Catch::Contains("above the hard limit"));
    CHECK_THAT(problem, Catch::EndsWith("or lower vus to at most 964"));
    // Below the hard limit: no root needed.
    OpenFiles roomy{1024, 65536, 20};
    std::string soft = open_files_problem(roomy, 2000, 1, 4, "stage \"b\"", "max_vus");
    CHECK_THAT(soft, Catch::Contains("run `ulimit -n 3072`"));
    CHECK_THAT(soft, !Catch::Contains("above the hard limit"));
    CHECK_THAT(soft, Catch::Contains("lower max_vus"));
}

TEST_CASE("open files: the limits in force are read, and raising never lowers them") {
    OpenFiles now = open_files();
    CHECK(now.soft > 0);
    CHECK(now.hard >= now.soft);
    CHECK(now.in_use >= 1);  // at least stdout, a pipe to ctest
    OpenFiles raised = raise_open_files_limit();
    CHECK(raised.soft == raised.hard);
    CHECK(raised.soft >= now.soft);
}

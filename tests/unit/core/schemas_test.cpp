#include "core/schemas.hpp"

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

namespace {
std::string read(const std::string& name) {
    std::ifstream in(std::string(STAGEGATE_SOURCE_DIR) + "/schemas/" + name);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}
}  // namespace

TEST_CASE("the embedded schemas are the files in schemas/, byte for byte") {
    CHECK(orch::schemas::pipeline() == read("pipeline.schema.json"));
    CHECK(orch::schemas::results() == read("results.schema.json"));
    CHECK(orch::schemas::stage_result() == read("stage-result.schema.json"));
    CHECK_FALSE(orch::schemas::pipeline().empty());
}

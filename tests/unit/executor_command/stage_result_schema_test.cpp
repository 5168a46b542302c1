// schemas/stage-result.schema.json: valid JSON, draft-07, and in step with the reader (the
// error kinds it lists are exactly stagegate's). Validation of the fixture files against
// the schema itself runs in tests/schema (ajv).
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <set>

#include "command_test_support.hpp"
#include "core/schemas.hpp"
#include "metrics/stage_metrics.hpp"

using namespace orch;

namespace {

nlohmann::json schema_file() {
    return nlohmann::json::parse(test::slurp(std::filesystem::path(STAGEGATE_SOURCE_DIR) /
                                             "schemas" / "stage-result.schema.json"),
                                 nullptr, false);
}

}  // namespace

TEST_CASE("the stage result schema is draft-07 JSON and is the one built into the binary") {
    auto schema = schema_file();
    REQUIRE_FALSE(schema.is_discarded());
    CHECK(schema["$schema"] == "http://json-schema.org/draft-07/schema#");
    CHECK(schema["properties"]["schema"]["const"] == "stagegate.stage-result/v1");
    CHECK(nlohmann::json::parse(schemas::stage_result()) == schema);
}

TEST_CASE("the schema's error kinds are exactly stagegate's") {
    auto schema = schema_file();
    std::set<std::string> in_schema;
    for (const auto& [kind, unused] :
         schema["definitions"]["measurement"]["properties"]["errors"]["properties"].items()) {
        in_schema.insert(kind);
    }
    std::set<std::string> in_code;
    for (std::size_t kind = 1; kind < k_error_kind_count; ++kind) {
        in_code.insert(std::string(error_kind_name(static_cast<ErrorKind>(kind))));
    }
    CHECK(in_schema == in_code);
}

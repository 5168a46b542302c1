// The loader's key tables and schemas/pipeline.schema.json describe the same format: every
// mapping has the same keys in both (the npm check in tests/schema/ covers the rest).
#include "config/pipeline_keys.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <set>

using namespace orch;
using nlohmann::json;

namespace {

json schema() {
    std::ifstream in(std::string(STAGEGATE_SOURCE_DIR) + "/schemas/pipeline.schema.json");
    return json::parse(in);
}

std::set<std::string> keys_of(const json& properties) {
    std::set<std::string> keys;
    for (const auto& item : properties.items()) {
        keys.insert(item.key());
    }
    return keys;
}

std::set<std::string> as_set(const std::vector<std::string>& keys) {
    return {keys.begin(), keys.end()};
}

}  // namespace

TEST_CASE("the schema and the loader accept the same keys in every mapping") {
    json s = schema();
    const json& defs = s["definitions"];
    CHECK(keys_of(s["properties"]) == as_set(pipeline_keys::top_level));
    CHECK(keys_of(s["properties"]["target"]["properties"]) == as_set(pipeline_keys::target));
    CHECK(keys_of(s["properties"]["backend"]["properties"]) == as_set(pipeline_keys::backend));
    CHECK(keys_of(s["properties"]["health"]["properties"]) == as_set(pipeline_keys::health));
    CHECK(keys_of(s["properties"]["defaults"]["properties"]) == as_set(pipeline_keys::defaults));
    // scenario: the common keys here; each executor's own keys come from its plugin and
    // are compared with the schema in tests/unit/registry (which links the plugins).
    std::set<std::string> scenario = keys_of(defs["scenario"]["properties"]);
    for (const auto& key : pipeline_keys::scenario) {
        CHECK(scenario.count(key) == 1);
    }
    CHECK(keys_of(defs["request"]["properties"]) == as_set(pipeline_keys::request));
    std::set<std::string> operation = keys_of(defs["operation"]["else"]["properties"]);
    for (const auto& key : keys_of(defs["operation"]["then"]["properties"])) {
        operation.insert(key);
    }
    CHECK(operation == as_set(pipeline_keys::operation));
    CHECK(keys_of(defs["expectation"]["properties"]) == as_set(pipeline_keys::expect));
    std::set<std::string> variable;
    for (const auto& form : defs["variable"]["oneOf"]) {
        for (const auto& key : keys_of(form["properties"])) {
            variable.insert(key);
        }
    }
    CHECK(variable == as_set(pipeline_keys::variable));
    CHECK(keys_of(defs["criterion"]["anyOf"][1]["properties"]) == as_set(pipeline_keys::criterion));
    CHECK(keys_of(defs["stage"]["properties"]) == as_set(pipeline_keys::stage));
}

TEST_CASE("every fixed-key mapping in the schema rejects unknown keys") {
    // additionalProperties must be false wherever "properties" lists the keys.
    std::function<void(const json&, const std::string&)> walk = [&](const json& node,
                                                                    const std::string& where) {
        if (node.is_object()) {
            // A "properties" whose every value is `true` only declares the keys a "required"
            // beside it names (ajv --strict wants them declared): not a fixed-key mapping.
            bool declares_only = node.contains("properties") && node["properties"].is_object() &&
                                 std::all_of(node["properties"].begin(), node["properties"].end(),
                                             [](const json& v) { return v == json(true); });
            if (node.contains("properties") && node.contains("type") && node["type"] == "object" &&
                !declares_only) {
                INFO(where);
                CHECK(node.value("additionalProperties", json(true)) == json(false));
            }
            for (const auto& item : node.items()) {
                walk(item.value(), where + "/" + item.key());
            }
        } else if (node.is_array()) {
            for (std::size_t i = 0; i < node.size(); ++i) {
                walk(node[i], where + "/" + std::to_string(i));
            }
        }
    };
    walk(schema(), "");
}

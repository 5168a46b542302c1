#include "core/json_box.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <type_traits>
#include <utility>
#include <vector>

using namespace orch;
using nlohmann::json;

namespace {
/// A struct as the headers have them: JSON members, implicit special members.
struct Holder {
    JsonBox extra = JsonBox::object();
    std::vector<std::pair<std::string, JsonBox>> expected;
};
}  // namespace

TEST_CASE("a JsonBox holds null until written, as a json member did") {
    JsonBox box;
    const JsonBox& view = box;
    CHECK(view->is_null());
    CHECK(*view == json(nullptr));
    (*box)["a"] = 1;
    CHECK(*box == json{{"a", 1}});
    CHECK(JsonBox::object()->is_object());
    CHECK(JsonBox::object()->empty());
}

TEST_CASE("a JsonBox copies deeply and compares by value") {
    Holder a;
    a.extra["k"] = "v";
    a.expected.emplace_back("/status", json("ok"));
    Holder b = a;
    CHECK(b.extra == a.extra);
    b.extra["k"] = "changed";
    CHECK(*a.extra == json{{"k", "v"}});
    CHECK_FALSE(b.extra == a.extra);
    CHECK(*b.expected[0].second == json("ok"));
    a = b;
    CHECK(a.extra == b.extra);
}

TEST_CASE("a moved-from JsonBox is null, as a moved-from json is") {
    JsonBox from(json{{"n", 3}});
    JsonBox to = std::move(from);
    CHECK(*to == json{{"n", 3}});
    CHECK(from->is_null());  // NOLINT(bugprone-use-after-move): the documented state
    static_assert(std::is_nothrow_move_constructible_v<JsonBox>);
    static_assert(std::is_nothrow_move_assignable_v<JsonBox>);
}

TEST_CASE("a JsonBox takes a json but not a braced list, which would turn into an array") {
    static_assert(std::is_convertible_v<json, JsonBox>);
    static_assert(std::is_convertible_v<const json&, JsonBox>);
    static_assert(!std::is_convertible_v<const char*, JsonBox>);
    JsonBox box = json{{"status", "ok"}};
    CHECK(box->is_object());
    const JsonBox& view = box;
    CHECK(view["status"] == "ok");
}

// A JSON value held by pointer, so a header can have JSON members with only
// <nlohmann/json_fwd.hpp>: json.hpp is large (~25k lines) and most translation units that
// see a struct with a JSON member never read or write it. Only the files that do include
// <nlohmann/json.hpp> and reach the value through `*` and `->`.
#pragma once

#include <concepts>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>

#include <nlohmann/json_fwd.hpp>

namespace orch {

// --- Interface ---

/// Owns one nlohmann::json with value semantics (copies are deep, `==` compares values).
/// A default-made or moved-from box holds JSON null without allocating, as a moved-from
/// nlohmann::json is null. Special members are out of line (core/json_box.cpp), so the
/// implicit special members of a struct holding a JsonBox need no JSON definition.
class JsonBox {
  public:
    JsonBox() noexcept;  ///< null
    /// From a JSON value (implicit, as assigning a json to a json member was). Braced
    /// lists do not convert (a template parameter cannot be deduced from them): write
    /// `*box = {{"key", 1}}` or `JsonBox(nlohmann::json{...})`, so `{{"key", 1}}` cannot
    /// silently become the array `["key", 1]`.
    template <class T>
    requires std::same_as<std::remove_cvref_t<T>, nlohmann::json> JsonBox(T&& value)
        : JsonBox(from_value(std::forward<T>(value))) {}  // NOLINT
    JsonBox(const JsonBox& other);
    JsonBox(JsonBox&& other) noexcept;
    JsonBox& operator=(const JsonBox& other);
    JsonBox& operator=(JsonBox&& other) noexcept;
    ~JsonBox();

    /// A box holding an empty JSON object.
    static JsonBox object();

    nlohmann::json& operator*();  ///< allocates a null value on first write access
    const nlohmann::json& operator*() const;
    nlohmann::json* operator->() { return &**this; }
    const nlohmann::json* operator->() const { return &**this; }
    /// `(*box)[key]`: adds a null member when absent (a null value becomes an object).
    nlohmann::json& operator[](const std::string& key);
    /// `(*box)[key]` on a const value: the member must exist (nlohmann::json's contract).
    const nlohmann::json& operator[](const std::string& key) const;

    friend bool operator==(const JsonBox& a, const JsonBox& b);

  private:
    static JsonBox from_value(const nlohmann::json& value);
    static JsonBox from_value(nlohmann::json&& value);
    explicit JsonBox(std::unique_ptr<nlohmann::json> value) noexcept;

    std::unique_ptr<nlohmann::json> m_value;  ///< null pointer: JSON null
};

}  // namespace orch

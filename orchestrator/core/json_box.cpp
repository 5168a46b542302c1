// JsonBox's out-of-line members: the one place of the core that needs json.hpp.
#include "core/json_box.hpp"

#include <nlohmann/json.hpp>

namespace orch {

namespace {
const nlohmann::json k_null;
}  // namespace

JsonBox::JsonBox() noexcept = default;

JsonBox::JsonBox(std::unique_ptr<nlohmann::json> value) noexcept : m_value(std::move(value)) {}

JsonBox::JsonBox(const JsonBox& other)
    : m_value(other.m_value ? std::make_unique<nlohmann::json>(*other.m_value) : nullptr) {}

JsonBox& JsonBox::operator=(const JsonBox& other) {
    if (this != &other) {
        m_value = other.m_value ? std::make_unique<nlohmann::json>(*other.m_value) : nullptr;
    }
    return *this;
}

JsonBox::JsonBox(JsonBox&& other) noexcept = default;

JsonBox& JsonBox::operator=(JsonBox&& other) noexcept = default;

JsonBox::~JsonBox() = default;

JsonBox JsonBox::object() {
    return JsonBox(std::make_unique<nlohmann::json>(nlohmann::json::object()));
}

JsonBox JsonBox::from_value(const nlohmann::json& value) {
    return JsonBox(std::make_unique<nlohmann::json>(value));
}

JsonBox JsonBox::from_value(nlohmann::json&& value) {
    return JsonBox(std::make_unique<nlohmann::json>(std::move(value)));
}

nlohmann::json& JsonBox::operator*() {
    if (!m_value) {
        m_value = std::make_unique<nlohmann::json>();
    }
    return *m_value;
}

const nlohmann::json& JsonBox::operator*() const {
    return m_value ? *m_value : k_null;
}

nlohmann::json& JsonBox::operator[](const std::string& key) {
    return (**this)[key];
}

const nlohmann::json& JsonBox::operator[](const std::string& key) const {
    return (**this)[key];
}

bool operator==(const JsonBox& a, const JsonBox& b) {
    return *a == *b;
}

}  // namespace orch

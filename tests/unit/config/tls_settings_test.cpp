// target.tls as the loader reads it: paths resolved against the pipeline's folder, the
// version, the alias of target.insecure, and the key's passphrase registered as a secret.
#include <catch2/catch.hpp>
#include <filesystem>

#include "config/loader.hpp"
#include "core/redact.hpp"

using namespace orch;

TEST_CASE("target.tls: every setting, paths resolved, the passphrase a secret") {
    clear_secrets_for_testing();
    std::filesystem::path file =
        std::filesystem::path(STAGEGATE_FIXTURES_DIR) / "pipelines/valid/tls_settings.yaml";
    LoadOptions options;
    options.getenv = [](const std::string&) -> std::optional<std::string> { return {}; };
    auto loaded = load_pipeline(file, options);
    REQUIRE(loaded);
    const TlsSpec& tls = loaded->target.tls;
    CHECK(tls.ca_file == std::filesystem::absolute(file).lexically_normal());
    CHECK(tls.client_cert == tls.ca_file);
    CHECK(tls.client_key == tls.ca_file);
    CHECK(std::filesystem::is_directory(tls.ca_dir));
    CHECK(tls.server_name == "api.internal");
    CHECK(tls.min_version == TlsSpec::Version::tls1_3);
    CHECK(tls.client_key_password == "not-a-real-passphrase");
    CHECK(redact("key not-a-real-passphrase") == "key ***");
    CHECK_FALSE(loaded->target.insecure);
}

TEST_CASE("target.tls.insecure is target.insecure") {
    std::string yaml = R"(version: 1
target: { base_url: "https://127.0.0.1:8443", tls: { insecure: true } }
scenario:
  operations:
    - { name: ping, path: /health }
stages:
  - { name: smoke, vus: 1, duration: 1s }
)";
    auto loaded = load_pipeline_text(yaml, "tls.yaml");
    REQUIRE(loaded);
    CHECK(loaded->target.insecure);
}

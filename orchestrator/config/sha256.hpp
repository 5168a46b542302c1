// SHA-256 (FIPS 180-4) of a byte string, so results.json can name the exact pipeline file
// a run used. Computed by libcrypto (OpenSSL's EVP interface).
#pragma once

#include <string>
#include <string_view>

namespace orch {

// --- Interface ---

/// The SHA-256 digest of `bytes` as 64 lowercase hex digits.
std::string sha256_hex(std::string_view bytes);

}  // namespace orch

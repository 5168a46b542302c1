// SHA-256 through libcrypto's EVP digest interface (OpenSSL, already on every machine that
// has libcurl): one call, no hand-written rounds to keep correct.
#include "config/sha256.hpp"

#include <openssl/evp.h>

#include <array>
#include <stdexcept>

namespace orch {

std::string sha256_hex(std::string_view bytes) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int length = 0;
    // EVP_Digest fails only when libcrypto cannot allocate or has no SHA-256, which no
    // supported build lacks: a programming or packaging error, not an input error.
    if (EVP_Digest(bytes.data(), bytes.size(), digest.data(), &length, EVP_sha256(), nullptr) !=
        1) {
        throw std::runtime_error("libcrypto: SHA-256 is unavailable");
    }
    static constexpr char k_hex[] = "0123456789abcdef";
    std::string out;
    out.reserve(std::size_t{length} * 2);
    for (unsigned int i = 0; i < length; ++i) {
        out += k_hex[digest[i] >> 4];
        out += k_hex[digest[i] & 0x0f];
    }
    return out;
}

}  // namespace orch

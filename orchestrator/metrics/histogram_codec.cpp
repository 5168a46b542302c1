// V2 layout (HdrHistogram's encodeIntoCompressedByteBuffer): compressed header
// [cookie 0x1c849314][int32 length of what follows], then zlib(deflate) of the encoding:
// [cookie 0x1c849313][int32 payload length][int32 normalizing index offset = 0]
// [int32 significant figures = 2][int64 lowest = 1][int64 highest = 2^36]
// [float64 integer-to-double ratio = 1.0] and the payload: for each bucket from 0 to the
// last non-empty one, its count as zig-zag LEB128 (at most 9 bytes, the 9th holding 8
// bits), a run of k > 1 empty buckets written as -k. All integers big-endian.
#include "metrics/histogram_codec.hpp"

#include <zlib.h>

#include <array>
#include <bit>
#include <cstring>
#include <utility>
#include <vector>

namespace orch {

namespace {

constexpr std::uint32_t k_encoding_cookie = 0x1c849303U | 0x10U;
constexpr std::uint32_t k_compressed_cookie = 0x1c849304U | 0x10U;
constexpr std::uint32_t k_cookie_base_mask = ~0xf0U;
constexpr std::int32_t k_significant_figures = 2;
constexpr std::int64_t k_lowest = 1;
constexpr std::size_t k_header_bytes = 40;
/// A payload longer than this cannot be ours: 9 bytes for each of our buckets at most.
constexpr std::size_t k_max_payload = 9 * 4096;

void put_be(std::string& out, std::uint64_t value, int bytes) {
    for (int i = bytes - 1; i >= 0; --i) {
        out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
    }
}

std::uint64_t get_be(std::string_view in, std::size_t at, int bytes) {
    std::uint64_t value = 0;
    for (int i = 0; i < bytes; ++i) {
        value = (value << 8) | static_cast<unsigned char>(in[at + static_cast<std::size_t>(i)]);
    }
    return value;
}

void put_zigzag(std::string& out, std::int64_t signed_value) {
    auto value = (static_cast<std::uint64_t>(signed_value) << 1) ^
                 static_cast<std::uint64_t>(signed_value >> 63);
    for (int i = 0; i < 8; ++i) {
        if (value < 0x80) {
            out.push_back(static_cast<char>(value));
            return;
        }
        out.push_back(static_cast<char>((value & 0x7f) | 0x80));
        value >>= 7;
    }
    out.push_back(static_cast<char>(value & 0xff));  // the 9th byte holds 8 bits
}

bool get_zigzag(std::string_view in, std::size_t& at, std::int64_t& out) {
    std::uint64_t value = 0;
    for (int i = 0; i < 9; ++i) {
        if (at >= in.size()) {
            return false;
        }
        auto byte = static_cast<unsigned char>(in[at++]);
        if (i == 8) {
            value |= std::uint64_t{byte} << 56;
            break;
        }
        value |= std::uint64_t{byte & 0x7fU} << (7 * i);
        if ((byte & 0x80) == 0) {
            break;
        }
    }
    out = static_cast<std::int64_t>(value >> 1) ^ -static_cast<std::int64_t>(value & 1);
    return true;
}

constexpr std::string_view k_base64 =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string base64_encode(std::string_view in) {
    std::string out;
    out.reserve((in.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 2 < in.size(); i += 3) {
        std::uint32_t n = (static_cast<unsigned char>(in[i]) << 16) |
                          (static_cast<unsigned char>(in[i + 1]) << 8) |
                          static_cast<unsigned char>(in[i + 2]);
        for (int k = 18; k >= 0; k -= 6) {
            out.push_back(k_base64[(n >> k) & 63]);
        }
    }
    if (std::size_t rest = in.size() - i; rest > 0) {
        std::uint32_t n = static_cast<unsigned char>(in[i]) << 16;
        if (rest == 2) {
            n |= static_cast<unsigned char>(in[i + 1]) << 8;
        }
        out.push_back(k_base64[(n >> 18) & 63]);
        out.push_back(k_base64[(n >> 12) & 63]);
        out.push_back(rest == 2 ? k_base64[(n >> 6) & 63] : '=');
        out.push_back('=');
    }
    return out;
}

bool base64_decode(std::string_view in, std::string& out) {
    if (in.size() % 4 != 0) {
        return false;
    }
    std::array<int, 256> value{};
    value.fill(-1);
    for (std::size_t i = 0; i < k_base64.size(); ++i) {
        value[static_cast<unsigned char>(k_base64[i])] = static_cast<int>(i);
    }
    out.clear();
    for (std::size_t i = 0; i < in.size(); i += 4) {
        std::uint32_t n = 0;
        int pad = 0;
        for (std::size_t k = 0; k < 4; ++k) {
            char c = in[i + k];
            if (c == '=' && i + 4 == in.size() && k >= 2) {
                ++pad;
                n <<= 6;
                continue;
            }
            int v = value[static_cast<unsigned char>(c)];
            if (v < 0 || pad > 0) {
                return false;
            }
            n = (n << 6) | static_cast<std::uint32_t>(v);
        }
        out.push_back(static_cast<char>((n >> 16) & 0xff));
        if (pad < 2) {
            out.push_back(static_cast<char>((n >> 8) & 0xff));
        }
        if (pad < 1) {
            out.push_back(static_cast<char>(n & 0xff));
        }
    }
    return true;
}

Result<HdrHistogram> corrupt(const std::string& what) {
    return fail(ErrorCode::invalid_input, "corrupt histogram: " + what);
}

}  // namespace

HistogramRecord encode_histogram(const HdrHistogram& histogram) {
    HistogramRecord record;
    record.count = histogram.count();
    record.overflow = histogram.overflow_count();
    record.min = histogram.min();
    record.max = histogram.max();
    record.sum = static_cast<std::uint64_t>(histogram.sum());

    std::string payload;
    std::size_t limit = histogram.empty() ? 0 : HdrHistogram::bucket_of(histogram.max()) + 1;
    for (std::size_t i = 0; i < limit;) {
        std::uint64_t count = histogram.bucket(i++);
        if (count == 0) {
            std::int64_t zeros = 1;
            while (i < limit && histogram.bucket(i) == 0) {
                ++zeros;
                ++i;
            }
            put_zigzag(payload, zeros > 1 ? -zeros : 0);
        } else {
            put_zigzag(payload, static_cast<std::int64_t>(count));
        }
    }
    std::string encoding;
    encoding.reserve(k_header_bytes + payload.size());
    put_be(encoding, k_encoding_cookie, 4);
    put_be(encoding, payload.size(), 4);
    put_be(encoding, 0, 4);  // normalizing index offset
    put_be(encoding, static_cast<std::uint64_t>(k_significant_figures), 4);
    put_be(encoding, static_cast<std::uint64_t>(k_lowest), 8);
    put_be(encoding, static_cast<std::uint64_t>(HdrHistogram::k_max_value_us), 8);
    put_be(encoding, std::bit_cast<std::uint64_t>(1.0), 8);
    encoding += payload;

    uLongf bound = compressBound(static_cast<uLong>(encoding.size()));
    std::string deflated(bound, '\0');
    // compress2 cannot fail with a buffer of compressBound's size and a valid level.
    compress2(reinterpret_cast<Bytef*>(deflated.data()), &bound,
              reinterpret_cast<const Bytef*>(encoding.data()), static_cast<uLong>(encoding.size()),
              Z_BEST_COMPRESSION);
    deflated.resize(bound);
    std::string out;
    put_be(out, k_compressed_cookie, 4);
    put_be(out, deflated.size(), 4);
    out += deflated;
    record.hdr = base64_encode(out);
    return record;
}

Result<HdrHistogram> decode_histogram(const HistogramRecord& record) {
    std::string raw;
    if (!base64_decode(record.hdr, raw)) {
        return corrupt("\"hdr\" is not base64");
    }
    if (raw.size() < 8 ||
        (get_be(raw, 0, 4) & k_cookie_base_mask) != (k_compressed_cookie & k_cookie_base_mask)) {
        return corrupt("not an HdrHistogram V2 compressed histogram (cookie)");
    }
    std::uint64_t length = get_be(raw, 4, 4);
    if (length != raw.size() - 8) {
        return corrupt("compressed length " + std::to_string(length) + " but " +
                       std::to_string(raw.size() - 8) + " bytes follow (cut or padded)");
    }
    std::string encoding(k_header_bytes + k_max_payload, '\0');
    uLongf size = static_cast<uLongf>(encoding.size());
    int inflated = uncompress(reinterpret_cast<Bytef*>(encoding.data()), &size,
                              reinterpret_cast<const Bytef*>(raw.data() + 8),
                              static_cast<uLong>(raw.size() - 8));
    if (inflated != Z_OK) {
        return corrupt(std::string("the zlib stream does not inflate (") + zError(inflated) +
                       "): changed or cut");
    }
    encoding.resize(size);
    if (encoding.size() < k_header_bytes ||
        (get_be(encoding, 0, 4) & k_cookie_base_mask) != (k_encoding_cookie & k_cookie_base_mask)) {
        return corrupt("not an HdrHistogram V2 encoding (cookie)");
    }
    std::uint64_t payload_length = get_be(encoding, 4, 4);
    if (payload_length != encoding.size() - k_header_bytes) {
        return corrupt("payload length does not match");
    }
    if (get_be(encoding, 8, 4) != 0 ||
        get_be(encoding, 12, 4) != static_cast<std::uint64_t>(k_significant_figures) ||
        get_be(encoding, 16, 8) != static_cast<std::uint64_t>(k_lowest) ||
        get_be(encoding, 24, 8) != static_cast<std::uint64_t>(HdrHistogram::k_max_value_us)) {
        return corrupt(
            "another histogram layout (stagegate writes lowest 1, highest 2^36, 2 significant "
            "figures, no index offset)");
    }
    std::string_view payload(encoding.data() + k_header_bytes, payload_length);
    std::vector<std::pair<std::size_t, std::uint64_t>> buckets;
    HdrHistogram histogram;
    std::size_t index = 0;
    for (std::size_t at = 0; at < payload.size();) {
        std::int64_t value = 0;
        if (!get_zigzag(payload, at, value)) {
            return corrupt("a count is cut off");
        }
        if (value < 0) {
            if (value < -static_cast<std::int64_t>(histogram.bucket_count())) {
                return corrupt("a run of empty buckets past the layout");
            }
            index += static_cast<std::size_t>(-value);
            continue;
        }
        if (index >= histogram.bucket_count()) {
            return corrupt("counts past the last bucket");
        }
        if (value > 0) {
            buckets.emplace_back(index, static_cast<std::uint64_t>(value));
        }
        ++index;
    }
    if (!histogram.assign(buckets, record.overflow, record.min, record.max,
                          static_cast<long double>(record.sum))) {
        return corrupt("count, min, max, sum or overflow do not fit the buckets");
    }
    if (histogram.count() != record.count) {
        return corrupt("\"count\" is " + std::to_string(record.count) + " but the buckets hold " +
                       std::to_string(histogram.count()));
    }
    return histogram;
}

}  // namespace orch

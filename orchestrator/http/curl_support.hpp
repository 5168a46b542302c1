// What every libcurl user in http/ needs: one global init, RAII for curl's handles, and a
// write callback that keeps at most a given number of body bytes (the health probe keeps
// the first 64 KiB; the Prometheus client refuses a bigger answer).
#pragma once

#include <curl/curl.h>

#include <cstddef>
#include <mutex>
#include <string>

namespace orch::curl_support {

// --- Interface ---

inline void init_once() {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct Deleter {
    void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
    void operator()(curl_slist* list) const { curl_slist_free_all(list); }
    void operator()(CURLU* url) const { curl_url_cleanup(url); }
};

/// A body of at most `limit` bytes. Past it the transfer stops (CURLE_WRITE_ERROR) with
/// `over` set and the first `limit` bytes kept.
struct BoundedBody {
    std::size_t limit = 0;
    std::string body;
    bool over = false;
};

/// CURLOPT_WRITEFUNCTION for a BoundedBody (CURLOPT_WRITEDATA).
inline std::size_t write_bounded(char* data, std::size_t size, std::size_t count, void* user) {
    auto* sink = static_cast<BoundedBody*>(user);
    std::size_t bytes = size * count;
    std::size_t room = sink->limit - sink->body.size();
    if (bytes > room) {
        sink->body.append(data, room);
        sink->over = true;
        return 0;
    }
    sink->body.append(data, bytes);
    return bytes;
}

}  // namespace orch::curl_support

// libcurl's own floor for bench/throughput: the least a libcurl-multi client does per request
// (N easy handles, keep-alive GETs, each finished transfer removed and added again, one
// curl_multi_poll/curl_multi_perform loop, the body dropped), so stagegate's curl transport
// can be compared with what libcurl itself costs on this machine. No checks, no metrics.
//
//   curl-floor URL CONNECTIONS SECONDS   -> prints "requests N errors E"
#include <curl/curl.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace {

std::size_t drop(char*, std::size_t size, std::size_t count, void*) {
    return size * count;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 4) {
        std::fprintf(stderr, "usage: curl-floor URL CONNECTIONS SECONDS\n");
        return 2;
    }
    const char* url = argv[1];
    int connections = std::atoi(argv[2]);
    int seconds = std::atoi(argv[3]);
    if (connections <= 0 || seconds <= 0 || curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        std::fprintf(stderr, "curl-floor: bad arguments or libcurl did not start\n");
        return 2;
    }
    CURLM* multi = curl_multi_init();
    curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, static_cast<long>(connections) + 4);
    std::vector<CURL*> handles(static_cast<std::size_t>(connections));
    for (CURL*& easy : handles) {
        easy = curl_easy_init();
        curl_easy_setopt(easy, CURLOPT_URL, url);
        curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(easy, CURLOPT_TCP_NODELAY, 1L);
        curl_easy_setopt(easy, CURLOPT_PROXY, "");
        curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &drop);
        curl_multi_add_handle(multi, easy);
    }
    long requests = 0;
    long errors = 0;
    auto end = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    while (std::chrono::steady_clock::now() < end) {
        int running = 0;
        curl_multi_perform(multi, &running);
        int queued = 0;
        while (CURLMsg* message = curl_multi_info_read(multi, &queued)) {
            if (message->msg != CURLMSG_DONE) {
                continue;
            }
            CURL* easy = message->easy_handle;
            if (message->data.result == CURLE_OK) {
                ++requests;
            } else {
                ++errors;
            }
            curl_multi_remove_handle(multi, easy);
            curl_multi_add_handle(multi, easy);
        }
        curl_multi_poll(multi, nullptr, 0, 100, nullptr);
    }
    for (CURL* easy : handles) {
        curl_multi_remove_handle(multi, easy);
        curl_easy_cleanup(easy);
    }
    curl_multi_cleanup(multi);
    curl_global_cleanup();
    std::printf("requests %ld errors %ld\n", requests, errors);
    return 0;
}

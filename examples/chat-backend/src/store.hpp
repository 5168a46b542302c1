// SQLite storage for messages and read receipts, behind a fixed-size connection pool.
// A request leases one connection for all its queries; when none frees up within the pool
// timeout the caller answers like Prisma does (P2024), which is what the demos exercise.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

struct sqlite3;

namespace chat {

struct Message {
    std::int64_t id = 0;
    std::string conversation_id;
    std::string user_id;
    std::string content;
    std::string type;
    std::string created_at;  // ISO-8601 UTC, e.g. 2024-05-01T12:00:00.123Z
};

struct NewMessage {
    std::string conversation_id;
    std::string user_id;
    std::string content;
    std::string type;
};

struct MessagePage {
    std::vector<Message> messages;            // newest first
    std::optional<std::int64_t> next_cursor;  // set when older messages remain
};

struct ReadReceipt {
    std::int64_t message_id = 0;
    std::string user_id;
    std::string read_at;
};

class StoreError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

struct StoreOptions {
    std::string path;  // empty: shared-cache in-memory database
    int pool_size = 10;
};

// Current UTC time as ISO-8601 with milliseconds.
std::string iso_timestamp_now();

class Store {
    struct Connection;

  public:
    // Exclusive use of one pooled connection; returns it to the pool on destruction.
    class Lease {
      public:
        Lease(Store& store, Connection& connection) : m_store(&store), m_connection(&connection) {}
        Lease(Lease&& other) noexcept;
        Lease& operator=(Lease&&) = delete;
        Lease(const Lease&) = delete;
        Lease& operator=(const Lease&) = delete;
        ~Lease();

        Message insert_message(const NewMessage& message);
        // Messages of `conversation_id` with id < before_id (all when unset), newest first.
        MessagePage list_messages(std::string_view conversation_id,
                                  std::optional<std::int64_t> before_id, int limit);
        bool message_in_conversation(std::int64_t id, std::string_view conversation_id);
        // nullopt when the message does not exist.
        std::optional<ReadReceipt> mark_read(std::int64_t message_id, std::string_view user_id);

      private:
        Store* m_store;
        Connection* m_connection;
    };

    explicit Store(const StoreOptions& options);  // throws StoreError
    ~Store();
    Store(const Store&) = delete;
    Store& operator=(const Store&) = delete;

    // Waits up to `timeout` for a free connection.
    std::optional<Lease> acquire(std::chrono::milliseconds timeout);

    int pool_size() const { return static_cast<int>(m_connections.size()); }
    int in_use() const;
    bool in_memory() const { return m_in_memory; }

  private:
    void release(Connection& connection);

    struct SqliteCloser {
        void operator()(sqlite3* db) const;
    };

    bool m_in_memory = true;
    std::unique_ptr<sqlite3, SqliteCloser> m_keeper;  // keeps a shared in-memory DB alive
    std::vector<std::unique_ptr<Connection>> m_connections;

    mutable std::mutex m_pool_mutex;
    std::condition_variable m_pool_cv;
    std::vector<Connection*> m_free;

    // Shared-cache in-memory databases use table-level locks that fail with SQLITE_LOCKED
    // instead of waiting, so readers share and writers exclusively hold this lock. With a WAL
    // file only writes take it (readers never block there).
    std::shared_mutex m_rw_mutex;
};

}  // namespace chat

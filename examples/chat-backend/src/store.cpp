#include "store.hpp"

#include <sqlite3.h>

#include <atomic>
#include <climits>
#include <cstdio>
#include <ctime>
#include <thread>

namespace chat {
namespace {

constexpr int k_busy_timeout_ms = 5000;
constexpr auto k_lock_retry_budget = std::chrono::seconds(5);

constexpr const char* k_schema = R"sql(
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    content TEXT NOT NULL,
    type TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_conversation_id_id ON messages (conversation_id, id);
CREATE TABLE IF NOT EXISTS reads (
    message_id INTEGER NOT NULL REFERENCES messages (id),
    user_id TEXT NOT NULL,
    read_at TEXT NOT NULL,
    PRIMARY KEY (message_id, user_id)
);
)sql";

constexpr const char* k_insert_message =
    "INSERT INTO messages (conversation_id, user_id, content, type, created_at) "
    "VALUES (?1, ?2, ?3, ?4, ?5)";
constexpr const char* k_list_messages =
    "SELECT id, conversation_id, user_id, content, type, created_at FROM messages "
    "WHERE conversation_id = ?1 AND id < ?2 ORDER BY id DESC LIMIT ?3";
constexpr const char* k_message_in_conversation =
    "SELECT 1 FROM messages WHERE id = ?1 AND conversation_id = ?2";
constexpr const char* k_message_exists = "SELECT 1 FROM messages WHERE id = ?1";
constexpr const char* k_upsert_read =
    "INSERT INTO reads (message_id, user_id, read_at) VALUES (?1, ?2, ?3) "
    "ON CONFLICT (message_id, user_id) DO UPDATE SET read_at = excluded.read_at";

[[noreturn]] void throw_sqlite(sqlite3* db, const std::string& what) {
    throw StoreError(what + ": " + (db != nullptr ? sqlite3_errmsg(db) : "out of memory"));
}

void exec(sqlite3* db, const char* sql) {
    char* error = nullptr;
    if (sqlite3_exec(db, sql, nullptr, nullptr, &error) != SQLITE_OK) {
        std::string message = error != nullptr ? error : sqlite3_errmsg(db);
        sqlite3_free(error);
        throw StoreError(std::string("sqlite exec failed: ") + message);
    }
}

sqlite3* open_database(const std::string& target, int flags) {
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(target.c_str(), &db, flags, nullptr) != SQLITE_OK) {
        std::string message = db != nullptr ? sqlite3_errmsg(db) : "out of memory";
        sqlite3_close(db);
        throw StoreError("cannot open database '" + target + "': " + message);
    }
    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_timeout(db, k_busy_timeout_ms);
    return db;
}

}  // namespace

// The statements Store::Connection holds: a named namespace, not the anonymous one, because a
// member of Store::Connection must not have a type with internal linkage (GCC says so when this
// file is compiled inside a unity batch).
namespace store_detail {

class Statement {
  public:
    Statement(sqlite3* db, const char* sql) : m_db(db) {
        if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &m_stmt, nullptr) !=
            SQLITE_OK) {
            throw_sqlite(db, std::string("cannot prepare '") + sql + "'");
        }
    }
    ~Statement() { sqlite3_finalize(m_stmt); }
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;

    sqlite3_stmt* get() const { return m_stmt; }
    sqlite3* db() const { return m_db; }

  private:
    sqlite3* m_db;
    sqlite3_stmt* m_stmt = nullptr;
};

std::string column_text(sqlite3_stmt* stmt, int column) {
    const auto* text = sqlite3_column_text(stmt, column);
    if (text == nullptr) {
        return {};
    }
    return std::string(reinterpret_cast<const char*>(text),
                       static_cast<std::size_t>(sqlite3_column_bytes(stmt, column)));
}

// One execution of a prepared statement: binds, steps to completion, and always resets.
class Query {
  public:
    explicit Query(const Statement& statement) : m_stmt(statement.get()), m_db(statement.db()) {}
    ~Query() {
        sqlite3_reset(m_stmt);
        sqlite3_clear_bindings(m_stmt);
    }
    Query(const Query&) = delete;
    Query& operator=(const Query&) = delete;

    Query& bind(int index, std::string_view text) {
        check_bind(sqlite3_bind_text(m_stmt, index, text.data(), static_cast<int>(text.size()),
                                     SQLITE_TRANSIENT));
        return *this;
    }
    Query& bind(int index, std::int64_t value) {
        check_bind(sqlite3_bind_int64(m_stmt, index, value));
        return *this;
    }

    // Calls on_row for each row. SQLITE_BUSY/SQLITE_LOCKED restart the statement from scratch
    // (after on_restart drops partial rows) until the retry budget runs out.
    template <typename OnRow, typename OnRestart>
    void run(OnRow&& on_row, OnRestart&& on_restart) {
        const auto deadline = std::chrono::steady_clock::now() + k_lock_retry_budget;
        for (int attempt = 1;; ++attempt) {
            int rc = SQLITE_ROW;
            while ((rc = sqlite3_step(m_stmt)) == SQLITE_ROW) {
                on_row(m_stmt);
            }
            if (rc == SQLITE_DONE) {
                return;
            }
            const int primary = rc & 0xff;
            const bool contended = primary == SQLITE_BUSY || primary == SQLITE_LOCKED;
            if (!contended || std::chrono::steady_clock::now() >= deadline) {
                throw_sqlite(m_db, "query failed");
            }
            sqlite3_reset(m_stmt);
            on_restart();
            std::this_thread::sleep_for(std::chrono::milliseconds(std::min(attempt, 10)));
        }
    }

    void run() {
        run([](sqlite3_stmt*) {}, [] {});
    }

    // True when the statement yields at least one row.
    bool exists() {
        bool found = false;
        run([&](sqlite3_stmt*) { found = true; }, [&] { found = false; });
        return found;
    }

  private:
    void check_bind(int rc) const {
        if (rc != SQLITE_OK) {
            throw_sqlite(m_db, "bind failed");
        }
    }

    sqlite3_stmt* m_stmt;
    sqlite3* m_db;
};

}  // namespace store_detail

using store_detail::column_text;
using store_detail::Query;
using store_detail::Statement;

struct Store::Connection {
    explicit Connection(sqlite3* handle)
        : db(handle),
          insert_message(handle, k_insert_message),
          list_messages(handle, k_list_messages),
          message_in_conversation(handle, k_message_in_conversation),
          message_exists(handle, k_message_exists),
          upsert_read(handle, k_upsert_read) {}

    // Owns `db`; declared first so the statements are finalized before it closes.
    std::unique_ptr<sqlite3, SqliteCloser> db;
    Statement insert_message;
    Statement list_messages;
    Statement message_in_conversation;
    Statement message_exists;
    Statement upsert_read;
};

void Store::SqliteCloser::operator()(sqlite3* db) const {
    sqlite3_close_v2(db);
}

std::string iso_timestamp_now() {
    using namespace std::chrono;
    const auto now = system_clock::now();
    const auto seconds = time_point_cast<std::chrono::seconds>(now);
    const auto millis = duration_cast<milliseconds>(now - seconds).count();
    const std::time_t time = system_clock::to_time_t(seconds);
    std::tm utc{};
    gmtime_r(&time, &utc);
    char date[32];
    std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &utc);
    char out[48];
    std::snprintf(out, sizeof out, "%s.%03dZ", date, static_cast<int>(millis));
    return out;
}

Store::Store(const StoreOptions& options) : m_in_memory(options.path.empty()) {
    if (options.pool_size < 1) {
        throw StoreError("pool size must be at least 1");
    }
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    std::string target = options.path;
    if (m_in_memory) {
        // Unique per Store so several stores in one process never share rows.
        static std::atomic<int> s_counter{0};
        target = "file:chatdb-" + std::to_string(++s_counter) + "?mode=memory&cache=shared";
        flags |= SQLITE_OPEN_URI;
        m_keeper.reset(open_database(target, flags));
        exec(m_keeper.get(), k_schema);
    } else {
        std::unique_ptr<sqlite3, SqliteCloser> setup(open_database(target, flags));
        exec(setup.get(), "PRAGMA journal_mode=WAL");
        exec(setup.get(), k_schema);
    }

    for (int i = 0; i < options.pool_size; ++i) {
        std::unique_ptr<sqlite3, SqliteCloser> db(open_database(target, flags));
        if (!m_in_memory) {
            exec(db.get(), "PRAGMA synchronous=NORMAL");
        }
        auto connection = std::make_unique<Connection>(db.release());
        m_free.push_back(connection.get());
        m_connections.push_back(std::move(connection));
    }
}

Store::~Store() = default;

std::optional<Store::Lease> Store::acquire(std::chrono::milliseconds timeout) {
    std::unique_lock lock(m_pool_mutex);
    if (!m_pool_cv.wait_for(lock, timeout, [this] { return !m_free.empty(); })) {
        return std::nullopt;
    }
    Connection* connection = m_free.back();
    m_free.pop_back();
    return std::optional<Lease>(std::in_place, *this, *connection);
}

int Store::in_use() const {
    std::lock_guard lock(m_pool_mutex);
    return static_cast<int>(m_connections.size() - m_free.size());
}

void Store::release(Connection& connection) {
    {
        std::lock_guard lock(m_pool_mutex);
        m_free.push_back(&connection);
    }
    m_pool_cv.notify_one();
}

Store::Lease::Lease(Lease&& other) noexcept
    : m_store(other.m_store), m_connection(other.m_connection) {
    other.m_store = nullptr;
    other.m_connection = nullptr;
}

Store::Lease::~Lease() {
    if (m_store != nullptr) {
        m_store->release(*m_connection);
    }
}

Message Store::Lease::insert_message(const NewMessage& message) {
    Message stored{0, message.conversation_id, message.user_id, message.content, message.type, {}};
    std::unique_lock lock(m_store->m_rw_mutex);
    stored.created_at = iso_timestamp_now();
    Query(m_connection->insert_message)
        .bind(1, stored.conversation_id)
        .bind(2, stored.user_id)
        .bind(3, stored.content)
        .bind(4, stored.type)
        .bind(5, stored.created_at)
        .run();
    stored.id = sqlite3_last_insert_rowid(m_connection->db.get());
    return stored;
}

MessagePage Store::Lease::list_messages(std::string_view conversation_id,
                                        std::optional<std::int64_t> before_id, int limit) {
    if (limit < 1) {
        throw StoreError("page limit must be at least 1");
    }
    std::shared_lock lock(m_store->m_rw_mutex, std::defer_lock);
    if (m_store->m_in_memory) {
        lock.lock();
    }
    MessagePage page;
    Query query(m_connection->list_messages);
    query.bind(1, conversation_id)
        .bind(2, before_id.value_or(INT64_MAX))
        .bind(3, static_cast<std::int64_t>(limit) + 1);
    query.run(
        [&](sqlite3_stmt* row) {
            page.messages.push_back(Message{sqlite3_column_int64(row, 0), column_text(row, 1),
                                            column_text(row, 2), column_text(row, 3),
                                            column_text(row, 4), column_text(row, 5)});
        },
        [&] { page.messages.clear(); });
    if (page.messages.size() > static_cast<std::size_t>(limit)) {
        page.messages.pop_back();
        page.next_cursor = page.messages.back().id;
    }
    return page;
}

bool Store::Lease::message_in_conversation(std::int64_t id, std::string_view conversation_id) {
    std::shared_lock lock(m_store->m_rw_mutex, std::defer_lock);
    if (m_store->m_in_memory) {
        lock.lock();
    }
    Query query(m_connection->message_in_conversation);
    query.bind(1, id).bind(2, conversation_id);
    return query.exists();
}

std::optional<ReadReceipt> Store::Lease::mark_read(std::int64_t message_id,
                                                   std::string_view user_id) {
    std::unique_lock lock(m_store->m_rw_mutex);
    {
        Query query(m_connection->message_exists);
        query.bind(1, message_id);
        if (!query.exists()) {
            return std::nullopt;
        }
    }
    ReadReceipt receipt{message_id, std::string(user_id), iso_timestamp_now()};
    Query(m_connection->upsert_read)
        .bind(1, receipt.message_id)
        .bind(2, receipt.user_id)
        .bind(3, receipt.read_at)
        .run();
    return receipt;
}

}  // namespace chat

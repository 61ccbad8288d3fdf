#include "cachewarm/sources/sqlite.hpp"

#include "cachewarm/sources/values.hpp"

#include <sqlite3.h>

#include <memory>
#include <utility>

namespace cachewarm::sources {

namespace {

using Database = std::unique_ptr<sqlite3, decltype(&sqlite3_close_v2)>;
using Statement = std::unique_ptr<sqlite3_stmt, decltype(&sqlite3_finalize)>;

core::Result<Database>
open_database(const std::string& path)
{
  sqlite3* raw = nullptr;
  const int rc =
      sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr);
  Database database(raw, &sqlite3_close_v2);
  if (rc != SQLITE_OK) {
    const std::string reason = database ? sqlite3_errmsg(database.get()) : sqlite3_errstr(rc);
    return core::fail(core::Errc::source, "sqlite " + path + ": " + reason);
  }
  // Another process may be writing the database: wait for its locks rather than failing.
  sqlite3_busy_timeout(database.get(), 5000);
  return database;
}

core::Result<Statement>
prepare(sqlite3& database, const std::string& sql)
{
  sqlite3_stmt* raw = nullptr;
  const int rc = sqlite3_prepare_v3(&database,
                                    sql.c_str(),
                                    static_cast<int>(sql.size()),
                                    SQLITE_PREPARE_PERSISTENT,
                                    &raw,
                                    nullptr);
  Statement statement(raw, &sqlite3_finalize);
  if (rc != SQLITE_OK) {
    return core::fail(core::Errc::manifest, std::string("sql: ") + sqlite3_errmsg(&database));
  }
  if (!statement) {
    return core::fail(core::Errc::manifest, "sql: the statement is empty");
  }
  return statement;
}

// The column as bytes (binary-safe: BLOBs are copied raw, numbers as SQLite's text form).
std::optional<std::string>
column_value(sqlite3_stmt& statement, int column)
{
  switch (sqlite3_column_type(&statement, column)) {
  case SQLITE_NULL:
    return std::nullopt;
  case SQLITE_BLOB: {
    const void* data = sqlite3_column_blob(&statement, column);
    const int size = sqlite3_column_bytes(&statement, column);
    return std::string(static_cast<const char*>(data), static_cast<std::size_t>(size));
  }
  default: {
    const unsigned char* text = sqlite3_column_text(&statement, column);
    const int size = sqlite3_column_bytes(&statement, column);
    return std::string(reinterpret_cast<const char*>(text), static_cast<std::size_t>(size));
  }
  }
}

class SqliteQuery final : public KeySource {
public:
  SqliteQuery(Database database,
              Statement statement,
              std::vector<std::string> fields,
              core::BoundTemplate key,
              std::string sql)
      : m_database(std::move(database))
      , m_statement(std::move(statement))
      , m_fields(std::move(fields))
      , m_key(std::move(key))
      , m_sql(std::move(sql))
  {}

  const std::vector<std::string>& fields() const override { return m_fields; }

  core::Result<std::optional<std::uint64_t>> count() override
  {
    core::Result<Statement> counting = prepare(*m_database, count_sql(m_sql));
    if (!counting) {
      return core::fail(core::Errc::source, "counting rows: " + counting.error().message);
    }
    if (sqlite3_step(counting->get()) != SQLITE_ROW) {
      return core::fail(core::Errc::source,
                        std::string("counting rows: ") + sqlite3_errmsg(m_database.get()));
    }
    return static_cast<std::uint64_t>(sqlite3_column_int64(counting->get(), 0));
  }

  core::Result<bool>
  next(std::size_t max, std::vector<core::Row>& rows, std::vector<core::Failure>& failures) override
  {
    if (m_done) {
      return false;
    }
    const int columns = static_cast<int>(m_fields.size());
    for (std::size_t n = 0; n < max; ++n) {
      const int rc = sqlite3_step(m_statement.get());
      if (rc == SQLITE_DONE) {
        m_done = true;
        return false;
      }
      if (rc != SQLITE_ROW) {
        m_done = true;
        return core::fail(core::Errc::source,
                          std::string("sqlite query failed: ") + sqlite3_errmsg(m_database.get()));
      }
      core::Row row;
      row.fields.reserve(m_fields.size());
      for (int c = 0; c < columns; ++c) {
        row.fields.push_back(column_value(*m_statement, c));
      }
      if (!m_key.render_to(row.key, row.fields)) {
        failures.push_back(
            core::Failure{"row " + std::to_string(m_row + 1), "null_key", "a key column is NULL"});
      } else {
        rows.push_back(std::move(row));
      }
      ++m_row;
    }
    return true;
  }

private:
  Database m_database;
  Statement m_statement;
  std::vector<std::string> m_fields;
  core::BoundTemplate m_key;
  std::string m_sql;
  std::uint64_t m_row = 0;
  bool m_done = false;
};

class SqliteLookup final : public ValueResolver {
public:
  SqliteLookup(Database database, Statement statement, std::vector<core::BoundTemplate> params)
      : m_database(std::move(database))
      , m_statement(std::move(statement))
      , m_params(std::move(params))
  {}

  core::Result<void> resolve(std::span<core::Row> rows,
                             std::vector<core::Entry>& entries,
                             std::vector<core::Failure>& failures) override
  {
    // One read transaction per batch: a consistent snapshot and no per-key lock churn.
    sqlite3_exec(m_database.get(), "BEGIN", nullptr, nullptr, nullptr);
    for (const core::Row& row : rows) {
      resolve_one(row, entries, failures);
    }
    // An active statement keeps its read lock past COMMIT: reset it so writers are not blocked
    // between batches.
    sqlite3_reset(m_statement.get());
    sqlite3_exec(m_database.get(), "COMMIT", nullptr, nullptr, nullptr);
    return {};
  }

private:
  void resolve_one(const core::Row& row,
                   std::vector<core::Entry>& entries,
                   std::vector<core::Failure>& failures)
  {
    sqlite3_stmt* statement = m_statement.get();
    sqlite3_reset(statement);
    sqlite3_clear_bindings(statement);
    m_scratch.assign(row.fields.begin(), row.fields.end());
    m_scratch.emplace_back(row.key);
    m_bound.resize(m_params.size());
    for (std::size_t i = 0; i < m_params.size(); ++i) {
      std::optional<std::string> value = m_params[i].render(m_scratch);
      if (!value) {
        failures.push_back(core::Failure{row.key, "not_found", "a lookup parameter is NULL"});
        return;
      }
      m_bound[i] = std::move(*value);
      // SQLITE_STATIC: m_bound outlives the step below.
      sqlite3_bind_text(statement,
                        static_cast<int>(i + 1),
                        m_bound[i].data(),
                        static_cast<int>(m_bound[i].size()),
                        SQLITE_STATIC);
    }
    const int rc = sqlite3_step(statement);
    if (rc == SQLITE_DONE) {
      failures.push_back(core::Failure{row.key, "not_found", "the lookup returned no row"});
      return;
    }
    if (rc != SQLITE_ROW) {
      failures.push_back(core::Failure{row.key, "source_error", sqlite3_errmsg(m_database.get())});
      return;
    }
    std::optional<std::string> value = column_value(*statement, 0);
    if (!value) {
      failures.push_back(core::Failure{row.key, "not_found", "the lookup returned NULL"});
      return;
    }
    entries.push_back(core::Entry{row.key, std::move(*value), {}, false});
  }

  Database m_database;
  Statement m_statement;
  std::vector<core::BoundTemplate> m_params;
  std::vector<std::optional<std::string>> m_scratch;
  std::vector<std::string> m_bound;
};

} // namespace

core::Result<std::unique_ptr<KeySource>>
open_sqlite_query(const std::string& path, const std::string& sql, const core::Template& key)
{
  CW_TRY_ASSIGN(Database database, open_database(path));
  CW_TRY_ASSIGN(Statement statement, prepare(*database, sql));
  std::vector<std::string> fields;
  const int columns = sqlite3_column_count(statement.get());
  for (int c = 0; c < columns; ++c) {
    fields.emplace_back(sqlite3_column_name(statement.get(), c));
  }
  core::Result<core::BoundTemplate> bound = key.bind(fields);
  if (!bound) {
    return tl::unexpected(core::with_context(bound.error(), "key template \"" + key.text() + "\""));
  }
  return std::make_unique<SqliteQuery>(
      std::move(database), std::move(statement), std::move(fields), std::move(*bound), sql);
}

core::Result<std::unique_ptr<ValueResolver>>
open_sqlite_lookup(const std::string& path,
                   const std::string& sql,
                   std::span<const core::Template> params,
                   std::span<const std::string> fields)
{
  CW_TRY_ASSIGN(Database database, open_database(path));
  CW_TRY_ASSIGN(Statement statement, prepare(*database, sql));
  const auto placeholders = static_cast<std::size_t>(sqlite3_bind_parameter_count(statement.get()));
  CW_TRY_ASSIGN(std::vector<core::BoundTemplate> bound,
                bind_sql_params(params, placeholders, fields));
  return std::make_unique<SqliteLookup>(
      std::move(database), std::move(statement), std::move(bound));
}

} // namespace cachewarm::sources

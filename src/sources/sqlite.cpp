#include "cachewarm/sources/sqlite.hpp"

#include "sql_detail.hpp"

#include <sqlite3.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

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

// The rows of a prepared query, stepped one at a time.
class SqliteCursor final : public detail::RowCursor {
public:
  SqliteCursor(Database database,
               Statement statement,
               std::vector<std::string> columns,
               std::string sql)
      : m_database(std::move(database))
      , m_statement(std::move(statement))
      , m_columns(std::move(columns))
      , m_sql(std::move(sql))
  {}

  const std::vector<std::string>& columns() const override { return m_columns; }

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

  core::Result<bool> advance() override
  {
    const int rc = sqlite3_step(m_statement.get());
    if (rc == SQLITE_DONE) {
      return false;
    }
    if (rc != SQLITE_ROW) {
      return core::fail(core::Errc::source,
                        std::string("sqlite query failed: ") + sqlite3_errmsg(m_database.get()));
    }
    return true;
  }

  // SQLite decodes a column only when it is asked for.
  std::optional<std::string> column(std::size_t column) const override
  {
    return column_value(*m_statement, static_cast<int>(column));
  }

private:
  Database m_database;
  Statement m_statement;
  std::vector<std::string> m_columns;
  std::string m_sql;
};

// A prepared lookup, run key by key inside one read transaction per batch.
class SqliteLookup final : public detail::LookupStatement {
public:
  SqliteLookup(Database database, Statement statement)
      : m_database(std::move(database))
      , m_statement(std::move(statement))
  {}

  core::Result<void> run(std::span<const std::vector<std::string>> calls,
                         std::span<detail::LookupAnswer> answers) override
  {
    // One read transaction per batch: a consistent snapshot and no per-key lock churn.
    sqlite3_exec(m_database.get(), "BEGIN", nullptr, nullptr, nullptr);
    for (std::size_t i = 0; i < calls.size(); ++i) {
      answers[i] = run_one(calls[i]);
    }
    // An active statement keeps its read lock past COMMIT: reset it so writers are not blocked
    // between batches.
    sqlite3_reset(m_statement.get());
    sqlite3_exec(m_database.get(), "COMMIT", nullptr, nullptr, nullptr);
    return {};
  }

private:
  detail::LookupAnswer run_one(const std::vector<std::string>& params)
  {
    using Kind = detail::LookupAnswer::Kind;
    sqlite3_stmt* statement = m_statement.get();
    sqlite3_reset(statement);
    sqlite3_clear_bindings(statement);
    for (std::size_t i = 0; i < params.size(); ++i) {
      // SQLITE_STATIC: `params` outlives the step below.
      sqlite3_bind_text(statement,
                        static_cast<int>(i + 1),
                        params[i].data(),
                        static_cast<int>(params[i].size()),
                        SQLITE_STATIC);
    }
    const int rc = sqlite3_step(statement);
    if (rc == SQLITE_DONE) {
      return {Kind::no_row, {}};
    }
    if (rc != SQLITE_ROW) {
      return {Kind::error, sqlite3_errmsg(m_database.get())};
    }
    std::optional<std::string> value = column_value(*statement, 0);
    if (!value) {
      return {Kind::null, {}};
    }
    return {Kind::value, std::move(*value)};
  }

  Database m_database;
  Statement m_statement;
};

} // namespace

core::Result<std::unique_ptr<KeySource>>
open_sqlite_query(const std::string& path, const std::string& sql, const core::Template& key)
{
  CW_TRY_ASSIGN(Database database, open_database(path));
  CW_TRY_ASSIGN(Statement statement, prepare(*database, sql));
  std::vector<std::string> columns;
  const int count = sqlite3_column_count(statement.get());
  for (int c = 0; c < count; ++c) {
    columns.emplace_back(sqlite3_column_name(statement.get(), c));
  }
  CW_TRY_ASSIGN(core::BoundTemplate bound, detail::bind_key(key, columns));
  return detail::make_query_source(
      std::make_unique<SqliteCursor>(
          std::move(database), std::move(statement), std::move(columns), sql),
      std::move(bound));
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
  return detail::make_lookup_resolver(
      std::make_unique<SqliteLookup>(std::move(database), std::move(statement)),
      params,
      placeholders,
      fields);
}

} // namespace cachewarm::sources

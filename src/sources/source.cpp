#include "cachewarm/sources/source.hpp"

#include <string>
#include <string_view>

namespace cachewarm::sources {

std::string
count_sql(std::string_view sql)
{
  while (!sql.empty()
         && (sql.back() == ';' || sql.back() == ' ' || sql.back() == '\n' || sql.back() == '\t'
             || sql.back() == '\r')) {
    sql.remove_suffix(1);
  }
  return "SELECT count(*) FROM (" + std::string(sql) + "\n) AS cw_count";
}

} // namespace cachewarm::sources

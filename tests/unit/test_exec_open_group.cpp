#include "cachewarm/exec/open_group.hpp"

#include <doctest/doctest.h>

using cachewarm::exec::has_outer_order_by;

TEST_SUITE("exec::open_group")
{
  TEST_CASE("an outer ORDER BY is found in any case and spacing")
  {
    CHECK(has_outer_order_by("SELECT id FROM t ORDER BY id"));
    CHECK(has_outer_order_by("select id from t\n order\tby id desc limit 10"));
    CHECK(has_outer_order_by("SELECT id FROM (SELECT id FROM t) s ORDER BY id"));
  }

  TEST_CASE("an ORDER BY only inside a subquery, a literal or a comment does not count")
  {
    CHECK_FALSE(has_outer_order_by("SELECT id FROM t"));
    CHECK_FALSE(has_outer_order_by("SELECT id FROM (SELECT id FROM t ORDER BY id LIMIT 5) s"));
    CHECK_FALSE(has_outer_order_by("SELECT 'order by' AS x FROM t"));
    CHECK_FALSE(has_outer_order_by("SELECT \"order by\" FROM t"));
    CHECK_FALSE(has_outer_order_by("SELECT id FROM t -- ORDER BY id"));
    CHECK_FALSE(has_outer_order_by("SELECT id FROM t /* ORDER BY id */"));
    CHECK_FALSE(has_outer_order_by("SELECT 'it''s ORDER BY' FROM t"));
  }

  TEST_CASE("ORDER and BY must be adjacent words")
  {
    CHECK_FALSE(has_outer_order_by("SELECT order_id, by FROM t"));
    CHECK_FALSE(has_outer_order_by("SELECT id AS \"order\" FROM t GROUP BY id"));
    CHECK_FALSE(has_outer_order_by("SELECT id FROM t WHERE x = 'order' OR by = 1"));
  }
}

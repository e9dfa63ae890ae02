// The expression language of sweep filters and derived axes, against hand-worked values.
#include "study/expression.hpp"

#include <gtest/gtest.h>

namespace dcsim::study {
namespace {

const Bindings kPoint = {{"cluster.servers", "64"},
                         {"workload.parallelism.tp", "8"},
                         {"network.scale_out.topology", "fat_tree"},
                         {"power.cap", "700 W"}};

double eval(const std::string& text) { return Expression(text).number(kPoint); }

TEST(Expression, ArithmeticWithPrecedence) {
  EXPECT_EQ(eval("1 + 2 * 3"), 7);
  EXPECT_EQ(eval("(1 + 2) * 3"), 9);
  EXPECT_EQ(eval("10 - 4 - 3"), 3);  // left to right
  EXPECT_EQ(eval("2 * -3"), -6);
  EXPECT_EQ(eval("17 % 5"), 2);
  EXPECT_EQ(eval("cluster.servers * 8 / workload.parallelism.tp"), 64);
  EXPECT_EQ(eval("1.5e3 / 3"), 500);
}

TEST(Expression, ComparisonsAndLogic) {
  EXPECT_TRUE(Expression("cluster.servers >= 64 && workload.parallelism.tp == 8").test(kPoint));
  EXPECT_FALSE(Expression("cluster.servers > 64 || workload.parallelism.tp != 8").test(kPoint));
  EXPECT_TRUE(Expression("!(cluster.servers < 64)").test(kPoint));
  EXPECT_TRUE(Expression("network.scale_out.topology == \"fat_tree\"").test(kPoint));
  EXPECT_TRUE(Expression("network.scale_out.topology != \"rail_optimized\"").test(kPoint));
  EXPECT_FALSE(Expression("cluster.servers == \"64\"").test(kPoint));  // a number is not a string
  EXPECT_EQ(eval("1 < 2 && 2 <= 2 && 3 > 2 && 3 >= 3"), 1);
}

TEST(Expression, NamesItReads) {
  const Expression e("cluster.servers * 8 / (workload.parallelism.tp * 2) - 1");
  EXPECT_EQ(e.names(), (std::vector<std::string>{"cluster.servers", "workload.parallelism.tp"}));
}

TEST(Expression, ErrorsSayWhat) {
  EXPECT_THROW(Expression("1 +"), ExpressionError);
  EXPECT_THROW(Expression("(1 + 2"), ExpressionError);
  EXPECT_THROW(Expression("1 = 2"), ExpressionError);
  EXPECT_THROW(Expression("\"open"), ExpressionError);
  EXPECT_THROW(eval("1 / 0"), ExpressionError);
  EXPECT_THROW(eval("5 % 0"), ExpressionError);
  EXPECT_THROW(eval("power.cap * 2"), ExpressionError);  // "700 W" is not a number
  EXPECT_THROW(eval("no.such.key + 1"), ExpressionError);
  EXPECT_THROW(Expression("\"a\"").test(kPoint), ExpressionError);  // a filter must be a number
  try {
    eval("cluster.servers / (workload.parallelism.tp - 8)");
    FAIL();
  } catch (const ExpressionError& e) {
    EXPECT_NE(std::string(e.what()).find("division by zero"), std::string::npos) << e.what();
  }
}

TEST(Expression, NumbersAndValues) {
  double d = 0;
  EXPECT_TRUE(parse_number("64", d));
  EXPECT_EQ(d, 64);
  EXPECT_TRUE(parse_number("+2.5e-3", d));
  EXPECT_EQ(d, 2.5e-3);
  EXPECT_FALSE(parse_number("700 W", d));
  EXPECT_FALSE(parse_number("", d));
  EXPECT_FALSE(parse_number("inf", d));
  EXPECT_EQ(format_value(128), "128");
  EXPECT_EQ(format_value(-3), "-3");
  EXPECT_EQ(format_value(0.25), "0.25");
}

}  // namespace
}  // namespace dcsim::study

#include "models/scenario/units.hpp"

#include <gtest/gtest.h>

using namespace dcsim::scenario;

namespace {
double parse(const char* text, Dimension d) {
  const ParsedQuantity q = parse_quantity(text, d);
  EXPECT_TRUE(q.value.has_value()) << text << ": " << q.error;
  return q.value.value_or(-1);
}
}  // namespace

TEST(Units, EveryByteUnit) {
  EXPECT_DOUBLE_EQ(parse("7 B", Dimension::Bytes), 7);
  EXPECT_DOUBLE_EQ(parse("2 KB", Dimension::Bytes), 2e3);
  EXPECT_DOUBLE_EQ(parse("2 MB", Dimension::Bytes), 2e6);
  EXPECT_DOUBLE_EQ(parse("80 GB", Dimension::Bytes), 80e9);
  EXPECT_DOUBLE_EQ(parse("1.5 TB", Dimension::Bytes), 1.5e12);
  EXPECT_DOUBLE_EQ(parse("1 KiB", Dimension::Bytes), 1024);
  EXPECT_DOUBLE_EQ(parse("1 MiB", Dimension::Bytes), 1048576);
  EXPECT_DOUBLE_EQ(parse("96 GiB", Dimension::Bytes), 96.0 * 1073741824);
  EXPECT_DOUBLE_EQ(parse("1 TiB", Dimension::Bytes), 1099511627776.0);
  EXPECT_DOUBLE_EQ(parse("1MB", Dimension::Bytes), 1e6);  // the space is optional
}

TEST(Units, EveryBandwidthUnit) {
  EXPECT_DOUBLE_EQ(parse("8 bps", Dimension::Bandwidth), 1);
  EXPECT_DOUBLE_EQ(parse("400 Gbps", Dimension::Bandwidth), 50e9);
  EXPECT_DOUBLE_EQ(parse("3.2 Tbps", Dimension::Bandwidth), 400e9);
  EXPECT_DOUBLE_EQ(parse("900 GB/s", Dimension::Bandwidth), 900e9);
  EXPECT_DOUBLE_EQ(parse("3.35 TB/s", Dimension::Bandwidth), 3.35e12);
}

TEST(Units, EveryTimePowerEnergyMoneyComputeUnit) {
  EXPECT_DOUBLE_EQ(parse("5 ns", Dimension::Duration), 5e-9);
  EXPECT_DOUBLE_EQ(parse("2 us", Dimension::Duration), 2e-6);
  EXPECT_DOUBLE_EQ(parse("3 ms", Dimension::Duration), 3e-3);
  EXPECT_DOUBLE_EQ(parse("4 s", Dimension::Duration), 4);
  EXPECT_DOUBLE_EQ(parse("2 min", Dimension::Duration), 120);
  EXPECT_DOUBLE_EQ(parse("1.5 h", Dimension::Duration), 5400);
  EXPECT_DOUBLE_EQ(parse("54 d", Dimension::Duration), 54 * 86400.0);
  EXPECT_DOUBLE_EQ(parse("700 W", Dimension::Power), 700);
  EXPECT_DOUBLE_EQ(parse("10.2 kW", Dimension::Power), 10200);
  EXPECT_DOUBLE_EQ(parse("150 MW", Dimension::Power), 150e6);
  EXPECT_DOUBLE_EQ(parse("3 J", Dimension::Energy), 3);
  EXPECT_DOUBLE_EQ(parse("2 kWh", Dimension::Energy), 7.2e6);
  EXPECT_DOUBLE_EQ(parse("1 MWh", Dimension::Energy), 3.6e9);
  EXPECT_DOUBLE_EQ(parse("1000 USD", Dimension::Money), 1000);
  EXPECT_DOUBLE_EQ(parse("55 USD/h", Dimension::MoneyPerHour), 55);
  EXPECT_DOUBLE_EQ(parse("0.08 USD/kWh", Dimension::MoneyPerEnergy), 0.08 / 3.6e6);
  EXPECT_DOUBLE_EQ(parse("989 TFLOP/s", Dimension::Compute), 989e12);
  EXPECT_DOUBLE_EQ(parse("1.2 PFLOP/s", Dimension::Compute), 1.2e15);
}

TEST(Units, MalformedQuantitiesAreRejectedWithWhatIsAllowed) {
  auto error = [](const char* text, Dimension d) {
    const ParsedQuantity q = parse_quantity(text, d);
    EXPECT_FALSE(q.value.has_value()) << text;
    return q.error;
  };
  EXPECT_NE(error("400", Dimension::Bandwidth).find("has no unit"), std::string::npos);
  EXPECT_NE(error("400", Dimension::Bandwidth).find("Gbps"), std::string::npos);
  EXPECT_NE(error("fast", Dimension::Bandwidth).find("is not a number"), std::string::npos);
  EXPECT_NE(error("80 GBs", Dimension::Bytes).find("unknown unit \"GBs\""), std::string::npos);
  EXPECT_NE(error("80 GB", Dimension::Bandwidth).find("unknown unit \"GB\""), std::string::npos);
  EXPECT_NE(error("1 h", Dimension::Power).find("W, kW, MW"), std::string::npos);
  EXPECT_NE(error("", Dimension::Duration).find("is not a number"), std::string::npos);
  EXPECT_NE(error("inf s", Dimension::Duration).find("not finite"), std::string::npos);
}

TEST(Units, FormatsWithReadablePrefixes) {
  EXPECT_EQ(format_quantity(50e9, Dimension::Bandwidth), "50 GB/s");
  EXPECT_EQ(format_quantity(80e9, Dimension::Bytes), "80 GB");
  EXPECT_EQ(format_quantity(1.25e6, Dimension::Power), "1.25 MW");
  EXPECT_EQ(format_quantity(7.2e6, Dimension::Energy), "2 kWh");
  EXPECT_EQ(format_quantity(0.0015, Dimension::Duration), "1.5 ms");
  EXPECT_EQ(format_quantity(989e12, Dimension::Compute), "989 TFLOP/s");
  EXPECT_EQ(format_quantity(3.6e6 * 41e-3, Dimension::Energy), "41 Wh");
  EXPECT_EQ(format_quantity(3.6e6 * 3.174e7, Dimension::Energy), "31.74 GWh");
  EXPECT_EQ(format_quantity(1.21e6, Dimension::Money), "1.21 M USD");
  EXPECT_EQ(format_quantity(12.5, Dimension::Money), "12.50 USD");
  EXPECT_EQ(format_count(491500), "491.5 k");
  EXPECT_EQ(format_count(42), "42");
}

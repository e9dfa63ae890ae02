#pragma once
// The small expression language of sweep filters and derived axes (docs/sweeps.md):
// numbers, "quoted strings", names of a point's keys (cluster.servers), + - * / % and
// unary -, comparisons (== != < <= > >=), && || !, and parentheses. Numbers are doubles;
// a comparison or a logical operator gives 1 or 0; strings only compare for (in)equality.
#include <memory>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

namespace dcsim::study {

// A point's keys and their values, as text (a value that reads as a number is one).
using Bindings = std::vector<std::pair<std::string, std::string>>;
using Value = std::variant<double, std::string>;

// Bad syntax, an unknown name, a string where a number is needed, division by zero.
class ExpressionError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Expression {
 public:
  explicit Expression(const std::string& text);  // throws ExpressionError on bad syntax
  Expression(Expression&&) noexcept;
  Expression& operator=(Expression&&) noexcept;
  ~Expression();

  Value evaluate(const Bindings& point) const;
  bool test(const Bindings& point) const;       // a filter: non-zero; a string is an error
  double number(const Bindings& point) const;   // a derived value: must be a number
  const std::vector<std::string>& names() const { return names_; }  // the keys it reads
  const std::string& text() const { return text_; }

  struct Node;

 private:
  std::string text_;
  std::unique_ptr<Node> root_;
  std::vector<std::string> names_;
};

// "64" -> 64, "1e3" -> 1000; anything else (units, words) is not a number.
bool parse_number(const std::string& text, double& out);
// A derived number as a --set value: whole numbers without a decimal point.
std::string format_value(double v);

}  // namespace dcsim::study

#include "study/expression.hpp"

#include <fmt/format.h>

#include <cctype>
#include <charconv>
#include <cmath>

namespace dcsim::study {

struct Expression::Node {
  enum class Kind { Number, String, Name, Unary, Binary } kind;
  std::string op;  // the operator, or the name or string
  double number = 0;
  std::unique_ptr<Node> a, b;
};

namespace {
using Node = Expression::Node;

bool is_name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-'; }

// Recursive descent, lowest precedence first: || && comparison + - * / % unary primary.
class Parser {
 public:
  Parser(const std::string& text, std::vector<std::string>& names) : s_(text), names_(names) {}

  std::unique_ptr<Node> parse() {
    auto n = logical_or();
    skip();
    if (i_ != s_.size()) fail(fmt::format("unexpected \"{}\"", s_.substr(i_)));
    return n;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw ExpressionError(fmt::format("in \"{}\" at column {}: {}", s_, i_ + 1, what));
  }
  void skip() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
  }
  bool eat(const std::string& op) {
    skip();
    if (s_.compare(i_, op.size(), op) != 0) return false;
    // "<" must not take the first half of "<=", "=" alone is no operator.
    if ((op == "<" || op == ">" || op == "!") && i_ + 1 < s_.size() && s_[i_ + 1] == '=') return false;
    i_ += op.size();
    return true;
  }
  static std::unique_ptr<Node> binary(std::string op, std::unique_ptr<Node> a, std::unique_ptr<Node> b) {
    auto n = std::make_unique<Node>();
    n->kind = Node::Kind::Binary;
    n->op = std::move(op);
    n->a = std::move(a);
    n->b = std::move(b);
    return n;
  }
  std::unique_ptr<Node> logical_or() {
    auto n = logical_and();
    while (eat("||")) n = binary("||", std::move(n), logical_and());
    return n;
  }
  std::unique_ptr<Node> logical_and() {
    auto n = comparison();
    while (eat("&&")) n = binary("&&", std::move(n), comparison());
    return n;
  }
  std::unique_ptr<Node> comparison() {
    auto n = sum();
    for (const char* op : {"==", "!=", "<=", ">=", "<", ">"})
      if (eat(op)) return binary(op, std::move(n), sum());
    return n;
  }
  std::unique_ptr<Node> sum() {
    auto n = product();
    for (;;) {
      if (eat("+"))
        n = binary("+", std::move(n), product());
      else if (eat("-"))
        n = binary("-", std::move(n), product());
      else
        return n;
    }
  }
  std::unique_ptr<Node> product() {
    auto n = unary();
    for (;;) {
      if (eat("*"))
        n = binary("*", std::move(n), unary());
      else if (eat("/"))
        n = binary("/", std::move(n), unary());
      else if (eat("%"))
        n = binary("%", std::move(n), unary());
      else
        return n;
    }
  }
  std::unique_ptr<Node> unary() {
    if (eat("-") || eat("!")) {
      auto n = std::make_unique<Node>();
      n->kind = Node::Kind::Unary;
      n->op = s_[i_ - 1] == '-' ? "-" : "!";
      n->a = unary();
      return n;
    }
    return primary();
  }
  std::unique_ptr<Node> primary() {
    skip();
    if (i_ >= s_.size()) fail("an operand is missing");
    auto n = std::make_unique<Node>();
    const char c = s_[i_];
    if (c == '(') {
      ++i_;
      auto inner = logical_or();
      if (!eat(")")) fail("a \")\" is missing");
      return inner;
    }
    if (c == '"') {
      const std::size_t end = s_.find('"', i_ + 1);
      if (end == std::string::npos) fail("a string is not closed");
      n->kind = Node::Kind::String;
      n->op = s_.substr(i_ + 1, end - i_ - 1);
      i_ = end + 1;
      return n;
    }
    if (std::isdigit(static_cast<unsigned char>(c)) || c == '.') {
      const auto [end, ec] = std::from_chars(s_.data() + i_, s_.data() + s_.size(), n->number);
      if (ec != std::errc()) fail("a malformed number");
      n->kind = Node::Kind::Number;
      i_ = std::size_t(end - s_.data());
      return n;
    }
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      const std::size_t start = i_;
      // A name runs over letters, digits, '_', '.' and '-' (keys like scale-out), but a '-'
      // followed by a space or a digit is a minus.
      while (i_ < s_.size() && is_name_char(s_[i_]) &&
             !(s_[i_] == '-' && (i_ + 1 >= s_.size() || !std::isalpha(static_cast<unsigned char>(s_[i_ + 1])))))
        ++i_;
      n->kind = Node::Kind::Name;
      n->op = s_.substr(start, i_ - start);
      names_.push_back(n->op);
      return n;
    }
    fail(fmt::format("unexpected \"{}\"", std::string(1, c)));
  }

  const std::string& s_;
  std::vector<std::string>& names_;
  std::size_t i_ = 0;
};

double as_number(const Value& v, const std::string& context) {
  if (const double* d = std::get_if<double>(&v)) return *d;
  throw ExpressionError(fmt::format("{}: \"{}\" is not a number", context, std::get<std::string>(v)));
}

Value eval(const Node& n, const Bindings& point, const std::string& text) {
  switch (n.kind) {
    case Node::Kind::Number: return n.number;
    case Node::Kind::String: return n.op;
    case Node::Kind::Name: {
      for (const auto& [key, value] : point)
        if (key == n.op) {
          double d = 0;
          if (parse_number(value, d)) return d;
          return value;
        }
      throw ExpressionError(fmt::format("in \"{}\": no key {} in this point", text, n.op));
    }
    case Node::Kind::Unary: {
      const double a = as_number(eval(*n.a, point, text), fmt::format("in \"{}\"", text));
      return n.op == "-" ? -a : (a == 0 ? 1.0 : 0.0);
    }
    case Node::Kind::Binary: break;
  }
  const std::string context = fmt::format("in \"{}\", {}", text, n.op);
  if (n.op == "&&" || n.op == "||") {
    const bool a = as_number(eval(*n.a, point, text), context) != 0;
    if (n.op == "&&" && !a) return 0.0;
    if (n.op == "||" && a) return 1.0;
    return as_number(eval(*n.b, point, text), context) != 0 ? 1.0 : 0.0;
  }
  const Value va = eval(*n.a, point, text), vb = eval(*n.b, point, text);
  if (n.op == "==" || n.op == "!=") {
    const bool equal = va.index() == vb.index() && va == vb;
    return (equal == (n.op == "==")) ? 1.0 : 0.0;
  }
  const double a = as_number(va, context), b = as_number(vb, context);
  if (n.op == "<") return a < b ? 1.0 : 0.0;
  if (n.op == "<=") return a <= b ? 1.0 : 0.0;
  if (n.op == ">") return a > b ? 1.0 : 0.0;
  if (n.op == ">=") return a >= b ? 1.0 : 0.0;
  if (n.op == "+") return a + b;
  if (n.op == "-") return a - b;
  if (n.op == "*") return a * b;
  if (b == 0) throw ExpressionError(fmt::format("{}: division by zero", context));
  if (n.op == "/") return a / b;
  return std::fmod(a, b);
}
}  // namespace

Expression::Expression(const std::string& text) : text_(text) { root_ = Parser(text_, names_).parse(); }
Expression::Expression(Expression&&) noexcept = default;
Expression& Expression::operator=(Expression&&) noexcept = default;
Expression::~Expression() = default;

Value Expression::evaluate(const Bindings& point) const { return eval(*root_, point, text_); }

bool Expression::test(const Bindings& point) const {
  return as_number(evaluate(point), fmt::format("the filter \"{}\"", text_)) != 0;
}

double Expression::number(const Bindings& point) const {
  const double v = as_number(evaluate(point), fmt::format("\"{}\"", text_));
  if (!std::isfinite(v)) throw ExpressionError(fmt::format("\"{}\" is {}", text_, v));
  return v;
}

bool parse_number(const std::string& text, double& out) {
  if (text.empty()) return false;
  const char* first = text.data();
  if (*first == '+') ++first;
  const auto [end, ec] = std::from_chars(first, text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size() && std::isfinite(out);
}

std::string format_value(double v) {
  if (v == std::floor(v) && std::abs(v) < 9e15) return fmt::format("{}", static_cast<long long>(v));
  return fmt::format("{}", v);
}

}  // namespace dcsim::study

#pragma once
// Helpers of the C++ tests, written for them and independent of the core:
// error measures, finite differences, quadrature, a seeded generator and a
// reader for the JSON files of test/fixtures/reference.
#include <cmath>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace lodestone::testing {

// max |actual - expected| / max |expected| (absolute when expected vanishes).
double relative_error(const double* actual, const double* expected, size_t n);
double relative_error(const std::vector<double>& actual, const std::vector<double>& expected);
inline double rel(double a, double b) { return std::fabs(a - b) / std::fabs(b); }

using VectorFunction = std::function<std::vector<double>(const std::vector<double>&)>;
// d f / d x[k] at x0 by the five-point stencil of step h.
std::vector<double> derivative(const VectorFunction& f, const std::vector<double>& x0, size_t k, double h = 1e-4);

struct Rule {
    std::vector<double> nodes, weights;
};
// Gauss-Legendre on [-1, 1] by Newton iteration on P_n.
Rule gauss_legendre(int n);
// `panels` panels of an `order`-point rule on [a, b].
Rule composite_gauss_legendre(double a, double b, int panels, int order = 12);

// Uniform numbers in [0, 1), the same sequence as test/support/random-systems.ts rng(seed).
class Random {
public:
    explicit Random(uint32_t seed) : state_(seed) {}
    double operator()();

private:
    uint32_t state_;
};

// Just enough JSON for the reference files: objects, arrays, numbers, strings.
struct Json {
    enum class Kind { Null, Number, String, Array, Object, Bool } kind = Kind::Null;
    double number = 0.0;
    std::string string;
    std::vector<Json> array;
    std::map<std::string, Json> object;

    const Json& operator[](const std::string& key) const;
    const Json& operator[](size_t index) const { return array.at(index); }
    size_t size() const { return kind == Kind::Array ? array.size() : object.size(); }
    // Every number of a nested array, depth first.
    std::vector<double> flat() const;
};
Json parse_json(const std::string& text);
// A file of test/fixtures/reference/, by its path inside that folder.
Json load_reference(const std::string& relative);

}  // namespace lodestone::testing

namespace lodestone::testing {

// The message of the exception `f` throws, or "" when it throws none.
template <class F>
std::string thrown_message(F&& f) {
    try {
        f();
    } catch (const std::exception& e) {
        return e.what();
    }
    return "";
}

}  // namespace lodestone::testing

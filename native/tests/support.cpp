#include "support.hpp"

#include <cctype>
#include <fstream>
#include <sstream>
#include <stdexcept>

#ifndef LODESTONE_REFERENCE_DIR
#error "CMakeLists.txt defines LODESTONE_REFERENCE_DIR (test/fixtures/reference/)"
#endif

namespace lodestone::testing {

double relative_error(const double* actual, const double* expected, size_t n) {
    double diff = 0.0, scale = 0.0;
    for (size_t i = 0; i < n; i++) {
        diff = std::fmax(diff, std::fabs(actual[i] - expected[i]));
        scale = std::fmax(scale, std::fabs(expected[i]));
    }
    return scale > 0.0 ? diff / scale : diff;
}

double relative_error(const std::vector<double>& actual, const std::vector<double>& expected) {
    if (actual.size() != expected.size()) throw std::runtime_error("relative_error: length mismatch");
    return relative_error(actual.data(), expected.data(), actual.size());
}

std::vector<double> derivative(const VectorFunction& f, const std::vector<double>& x0, size_t k, double h) {
    auto shifted = [&](double t) {
        std::vector<double> x = x0;
        x[k] += t;
        return f(x);
    };
    const auto p2 = shifted(2 * h), p1 = shifted(h), m1 = shifted(-h), m2 = shifted(-2 * h);
    std::vector<double> out(p1.size());
    for (size_t i = 0; i < out.size(); i++) out[i] = (-p2[i] + 8 * p1[i] - 8 * m1[i] + m2[i]) / (12 * h);
    return out;
}

Rule gauss_legendre(int n) {
    Rule rule{std::vector<double>(static_cast<size_t>(n)), std::vector<double>(static_cast<size_t>(n))};
    auto legendre = [n](double x, double& pn, double& pnm1) {
        double p0 = 1.0, p1 = x;
        for (int k = 2; k <= n; k++) {
            const double p2 = ((2 * k - 1) * x * p1 - (k - 1) * p0) / k;
            p0 = p1;
            p1 = p2;
        }
        pn = n == 1 ? x : p1;
        pnm1 = n == 1 ? 1.0 : p0;
    };
    for (int i = 0; i < (n + 1) / 2; i++) {
        double x = std::cos(M_PI * (i + 0.75) / (n + 0.5));
        for (int iter = 0; iter < 100; iter++) {
            double pn, pnm1;
            legendre(x, pn, pnm1);
            const double dx = pn / (n * (x * pn - pnm1) / (x * x - 1));
            x -= dx;
            if (std::fabs(dx) < 1e-16) break;
        }
        double pn, pnm1;
        legendre(x, pn, pnm1);
        const double dp = n == 1 ? 1.0 : n * (x * pn - pnm1) / (x * x - 1);
        const double w = 2 / ((1 - x * x) * dp * dp);
        rule.nodes[static_cast<size_t>(i)] = -x;
        rule.nodes[static_cast<size_t>(n - 1 - i)] = x;
        rule.weights[static_cast<size_t>(i)] = w;
        rule.weights[static_cast<size_t>(n - 1 - i)] = w;
    }
    return rule;
}

Rule composite_gauss_legendre(double a, double b, int panels, int order) {
    const Rule rule = gauss_legendre(order);
    Rule out;
    const double h = (b - a) / panels;
    for (int p = 0; p < panels; p++) {
        const double mid = a + (p + 0.5) * h;
        for (int k = 0; k < order; k++) {
            out.nodes.push_back(mid + 0.5 * h * rule.nodes[static_cast<size_t>(k)]);
            out.weights.push_back(0.5 * h * rule.weights[static_cast<size_t>(k)]);
        }
    }
    return out;
}

double Random::operator()() {
    state_ += 0x6d2b79f5u;
    uint32_t t = state_;
    t = (t ^ (t >> 15)) * (t | 1u);
    t ^= t + (t ^ (t >> 7)) * (t | 61u);
    return static_cast<double>(t ^ (t >> 14)) / 4294967296.0;
}

const Json& Json::operator[](const std::string& key) const {
    auto it = object.find(key);
    if (it == object.end()) throw std::runtime_error("json: no key '" + key + "'");
    return it->second;
}

std::vector<double> Json::flat() const {
    std::vector<double> out;
    std::function<void(const Json&)> walk = [&](const Json& j) {
        if (j.kind == Kind::Number) out.push_back(j.number);
        for (const Json& e : j.array) walk(e);
    };
    walk(*this);
    return out;
}

namespace {

struct Parser {
    const std::string& s;
    size_t i = 0;

    void space() {
        while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) i++;
    }
    Json value() {
        space();
        if (i >= s.size()) throw std::runtime_error("json: unexpected end");
        Json j;
        const char c = s[i];
        if (c == '{') {
            j.kind = Json::Kind::Object;
            i++;
            space();
            if (s[i] == '}') return i++, j;
            while (true) {
                space();
                const std::string key = string();
                space();
                if (s[i++] != ':') throw std::runtime_error("json: expected ':'");
                j.object[key] = value();
                space();
                if (s[i] == ',') { i++; continue; }
                if (s[i++] != '}') throw std::runtime_error("json: expected '}'");
                return j;
            }
        }
        if (c == '[') {
            j.kind = Json::Kind::Array;
            i++;
            space();
            if (s[i] == ']') return i++, j;
            while (true) {
                j.array.push_back(value());
                space();
                if (s[i] == ',') { i++; continue; }
                if (s[i++] != ']') throw std::runtime_error("json: expected ']'");
                return j;
            }
        }
        if (c == '"') {
            j.kind = Json::Kind::String;
            j.string = string();
            return j;
        }
        if (s.compare(i, 4, "null") == 0) return i += 4, j;
        if (s.compare(i, 4, "true") == 0) { j.kind = Json::Kind::Bool; j.number = 1; i += 4; return j; }
        if (s.compare(i, 5, "false") == 0) { j.kind = Json::Kind::Bool; i += 5; return j; }
        j.kind = Json::Kind::Number;
        size_t used = 0;
        j.number = std::stod(s.substr(i, 40), &used);
        i += used;
        return j;
    }
    std::string string() {
        if (s[i++] != '"') throw std::runtime_error("json: expected a string");
        std::string out;
        while (s[i] != '"') {
            if (s[i] == '\\') i++;
            out += s[i++];
        }
        i++;
        return out;
    }
};

}  // namespace

Json parse_json(const std::string& text) {
    Parser p{text};
    return p.value();
}

Json load_reference(const std::string& relative) {
    std::ifstream file(std::string(LODESTONE_REFERENCE_DIR) + relative);
    if (!file) throw std::runtime_error("cannot read reference file " + relative);
    std::stringstream buffer;
    buffer << file.rdbuf();
    return parse_json(buffer.str());
}

}  // namespace lodestone::testing

#pragma once
// Pieces of the Ewald sum shared by its k-space methods (direct k sum in
// ewald.cpp, smooth PME in pme.cpp): input checks, the real-space pair sum,
// the self and k = 0 / background terms.
#include <vector>

#include "lodestone/longrange/ewald.hpp"
#include "lodestone/longrange/power_law.hpp"

namespace lodestone::detail {

void validate_long_range(const System& system, const std::vector<double>& weights, int exponent);
void validate_periodic_parameters(const System& system, double cutoff);

LongRangeSums sums_of(const System& system, const std::vector<double>& weights, double prefactor);

LongRangeResult empty_result(size_t n, const LongRangeRequest& request);

// The weights of one sum and their pair potential: prefactor q_i q_j phi(r).
struct ChargeSum {
    const System& system;
    const std::vector<double>& q;
    const SmearedPowerLaw& potential;
    double prefactor;
};

void add_real_space(const ChargeSum& sum, double cutoff, const LongRangeRequest& request, LongRangeResult& out);

// -prefactor long(0) q_i^2 / 2 per atom, and the k = 0 term of a non-zero total weight.
void add_self_and_background(const ChargeSum& sum, const LongRangeRequest& request, LongRangeResult& out);

}  // namespace lodestone::detail

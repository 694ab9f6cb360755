#pragma once
// The *tuning* third of long-range calculations: error estimates and the
// choice of (smearing, real-space cutoff, k-space cutoff) for a requested
// accuracy. Only depends on the potential (its real-space short part and
// Fourier transform), so a mesh method can reuse the real-space estimate and
// add its own k-space (discretisation) estimate.
#include <cstddef>
#include <string>

namespace lodestone {

// RMS force error estimates in the style of Kolafa & Perram (Mol. Simul. 9,
// 351, 1992), generalised to 1/r^p: for N weights c_i (charges) in a volume V
// placed at random, truncating a pair force f(r) beyond r_c gives
//   dF_real^2 = (sum c^2)^2 / (N V) int_rc^inf 4 pi r^2 f_short(r)^2 dr,
// and truncating the k sum at k_c gives
//   dF_k^2 = (sum c^2)^2 / (N V) 1/(2 pi^2) int_kc^inf k^4 G(k)^2 dk.
// Both integrals scale as sigma^(1-2p) times a function of r_c/sigma or
// k_c sigma only, tabulated once per exponent. For p = 1 these reduce to the
// Kolafa-Perram formulas used by LAMMPS.
struct LongRangeSums {
    size_t n_atoms = 0;
    double volume = 0.0;       // A^3
    double sum_squares = 0.0;  // sum_i c_i^2
    double prefactor = 1.0;    // energy = prefactor * sum_{i<j} c_i c_j / r^p
};

double real_space_error(int exponent, const LongRangeSums& sums, double smearing, double cutoff);
double ewald_kspace_error(int exponent, const LongRangeSums& sums, double smearing, double k_cutoff);

// The force scale that `accuracy` is relative to: |prefactor| c_rms^2 / d^(p+1)
// with d = (V/N)^(1/3) the mean interparticle distance (for NaCl and unit
// charges, 1.8 eV/A, close to the RMS force of the molten salt).
double reference_force(int exponent, const LongRangeSums& sums);

// Requested values (0 = choose) and the accuracy they must reach.
struct EwaldTuningRequest {
    double accuracy = 1e-6;  // relative RMS force error target
    double smearing = 0.0;
    double cutoff = 0.0;
    double k_cutoff = 0.0;
};

struct LongRangeParameters {
    std::string method;        // "ewald" or "direct"
    double smearing = 0.0;     // A
    double cutoff = 0.0;       // A, real-space cutoff
    double k_cutoff = 0.0;     // 1/A
    double real_error = 0.0;   // estimated RMS force errors, eV/A
    double kspace_error = 0.0;
    double estimated_error = 0.0;  // sqrt(real^2 + kspace^2), eV/A
    double reference_force = 0.0;  // eV/A; estimated_error / reference_force is the relative error
};

// Chooses the free parameters so that each of the real-space and k-space
// estimates is at most accuracy * reference_force / 2 (their RMS sum stays
// below 0.71 accuracy: estimates are not bounds, so keep a margin) at the
// lowest modelled cost, pairs (N^2 4/3 pi rc^3 / V) against atom-k-vector
// products (N V kc^3 / 6 pi^2). Throws for out-of-range requests.
LongRangeParameters tune_ewald(int exponent, const LongRangeSums& sums, const EwaldTuningRequest& request);

}  // namespace lodestone

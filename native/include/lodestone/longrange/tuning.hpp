#pragma once
// The *tuning* third of long-range calculations: error estimates and the
// choice of (smearing, real-space cutoff, k-space cutoff) for a requested
// accuracy. Only depends on the potential (its real-space short part and
// Fourier transform), so a mesh method can reuse the real-space estimate and
// add its own k-space (discretisation) estimate.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

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

// RMS force error of the smooth particle-mesh Ewald k-space part (pme.hpp)
// for cardinal B-splines of `order` on a mesh of spacing `spacing` (A; for a
// skewed or anisotropic mesh the largest |a_d| / K_d, which over-estimates).
// Aliasing model in the spirit of Petersen (J. Chem. Phys. 103, 3668, 1995)
// and Deserno & Holm (J. Chem. Phys. 109, 7694, 1998): a B-spline of order n
// has the Fourier transform sinc^n, so the mesh represents e^(2 pi i theta u)
// (theta = m / K in (-1/2, 1/2)) together with aliases at theta + j of
// relative amplitude a_j = (theta / (theta + j))^n when spreading, and
// (theta / (theta + j))^(n-1) when interpolating forces with the analytic
// derivative (which multiplies each alias by (theta + j) / theta). Treating
// these as independent random errors of each k-vector's contribution,
//   dF_mesh^2 = S^2 (sum c^2)^2 / (N V) 1/(2 pi^2) int_0^inf k^4 G(k)^2 eps^2(k h) dk,
//   eps^2(k h) = < sum_d sum_{j != 0} [a_j^2 + a_j^(2 - 2/n)](theta_d) >_directions,
// theta_d = k h u_d / (2 pi) for unit vectors u, and eps^2 = 1 where some
// |theta_d| >= 1/2 (k-vectors beyond the mesh are dropped, as a k cutoff).
// Same scaling as the Ewald estimate: sigma^(1/2 - p) times a function of
// h / sigma, tabulated once per exponent and order. S = 2.5 is a safety
// factor: without it the estimate was within 0.4..1.4 of the measured error
// (test/longrange/pme.test.ts checks that it bounds the error on random systems).
double pme_kspace_error(int exponent, const LongRangeSums& sums, double smearing, double spacing, int order);

// Method of a periodic lattice sum: direct k-space Ewald, smooth PME, or the
// cheaper of the two under the cost model for the requested accuracy.
enum class LongRangeMethod { Ewald, Pme, Auto };

// Requested values (0 = choose) and the accuracy they must reach.
struct EwaldTuningRequest {
    double accuracy = 1e-6;  // relative RMS force error target
    double smearing = 0.0;
    double cutoff = 0.0;
    double k_cutoff = 0.0;   // Ewald only
    LongRangeMethod method = LongRangeMethod::Auto;
    int mesh_order = 0;         // PME B-spline order 3..7, 0 = choose
    double mesh_spacing = 0.0;  // PME target spacing (A), 0 = choose
};

struct LongRangeParameters {
    std::string method;        // "ewald", "pme" or "direct"
    double smearing = 0.0;     // A
    double cutoff = 0.0;       // A, real-space cutoff
    double k_cutoff = 0.0;     // 1/A (Ewald)
    std::array<int64_t, 3> mesh{};  // PME: points along each lattice vector
    int mesh_order = 0;             // PME: B-spline order
    double mesh_spacing = 0.0;      // PME: max_d |a_d| / mesh_d (A)
    double cost = 0.0;              // modelled cost (units of one real-space pair)
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

// Same for smooth PME on this cell: smearing, real cutoff, mesh (sizes from
// good_fft_size) and order (3..7 unless given) at the lowest modelled cost,
// pairs + spreading/interpolation (N n^3) + FFTs (M log2 M).
LongRangeParameters tune_pme(int exponent, const LongRangeSums& sums, const std::array<double, 9>& cell,
                             const EwaldTuningRequest& request);

// Applies request.method: Ewald, PME, or for Auto the cheaper of the two
// (explicit kCutoff implies Ewald, explicit mesh options imply PME).
LongRangeParameters tune_long_range(int exponent, const LongRangeSums& sums, const std::array<double, 9>& cell,
                                    const EwaldTuningRequest& request);

// Checks the PME-specific options alone (order, spacing), for constructors.
void validate_pme_request(const EwaldTuningRequest& request);

}  // namespace lodestone

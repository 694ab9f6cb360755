#pragma once
// Smooth particle-mesh Ewald (U. Essmann et al., J. Chem. Phys. 103, 8577,
// 1995) as a *method* over the SmearedPowerLaw potential: the k-space half of
// an Ewald sum evaluated on a mesh in O(N n^3 + M log M) instead of O(N N_k).
//
// Why SPME rather than P3M: with analytic B-spline derivatives one forward
// and one inverse FFT give energies, forces, per-atom energies and the
// virial (the virial is a plain k-space sum because the charge mesh does not
// change under strain at fixed fractional coordinates), while P3M with
// ik-differentiation needs three inverse FFTs. The |b(m)|^2 Euler-spline
// correction makes SPME's kernel almost as accurate as P3M's optimal
// influence function at orders >= 4 (Ballenegger, Cerda, Holm, JCTC 8, 936,
// 2012), and any G_p(k) slots in without re-deriving an influence function.
//
// The real-space part, the self term and the background / k = 0 term are
// those of the direct Ewald sum (ewald.cpp), shared, not duplicated.
#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "lodestone/longrange/ewald.hpp"
#include "lodestone/longrange/power_law.hpp"

namespace lodestone {

constexpr int kMinPmeOrder = 3;
constexpr int kMaxPmeOrder = 7;

namespace detail {
struct ChargeSum;  // longrange/ewald_internal.hpp
}

// Reusable state of the k-space part: the FFT plan and the kernel
// G(k) |B(m)|^2 / V for one (mesh, order, cell, potential), so that MD steps
// on the same grid shape pay for neither again. Not thread-safe: callers
// serialise access (Ewald holds one behind a mutex and falls back to a fresh
// workspace when it is busy).
class PmeWorkspace {
public:
    PmeWorkspace();
    ~PmeWorkspace();
    PmeWorkspace(const PmeWorkspace&) = delete;
    PmeWorkspace& operator=(const PmeWorkspace&) = delete;

private:
    // Adds the k-space energy (m != 0 terms of prefactor / 2V sum_k G(k) |S(k)|^2),
    // forces, virial and per-atom energies of the sum to `out`, on the mesh
    // and B-spline order of `parameters`, which its one caller, pme_sum, has
    // validated.
    void add_kspace(const detail::ChargeSum& sum, const LongRangeParameters& parameters,
                    const LongRangeRequest& request, LongRangeResult& out);
    friend LongRangeResult pme_sum(const System& system, const std::vector<double>& weights, const PowerLawPair& pair,
                                   const LongRangeParameters& parameters, const LongRangeRequest& request,
                                   PmeWorkspace& workspace);

    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// The complete PME lattice sum with explicit parameters (real space, k space
// on the mesh, self and background terms: `parameters`' smearing, cutoff,
// mesh and mesh_order), with a workspace of its own.
LongRangeResult pme_sum(const System& system, const std::vector<double>& weights, const PowerLawPair& pair,
                        const LongRangeParameters& parameters, const LongRangeRequest& request);

// Same, reusing `workspace` (plan and kernel caches).
LongRangeResult pme_sum(const System& system, const std::vector<double>& weights, const PowerLawPair& pair,
                        const LongRangeParameters& parameters, const LongRangeRequest& request,
                        PmeWorkspace& workspace);

}  // namespace lodestone
